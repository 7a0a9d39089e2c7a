"""The reference side of tests/gcp_peers: two functions under Google's functions-framework.

`http_peer` (signature http) answers what it received as JSON. `event_peer` (signature
cloudevent) appends what the framework decoded to the file named by PEER_LOG, one JSON line per
event: the CloudEvent's attributes and data, and for Pub/Sub the decoded message.
"""

import base64
import json
import os

import functions_framework
from flask import jsonify


@functions_framework.http
def http_peer(request):
    return jsonify(
        {
            "method": request.method,
            "path": request.path,
            "query": request.query_string.decode(),
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "body": request.get_data(as_text=True),
        }
    )


@functions_framework.cloud_event
def event_peer(event):
    record = {name: value for name, value in event.get_attributes().items()}
    data = event.data
    if isinstance(data, (bytes, bytearray)):
        record["data_base64"] = base64.b64encode(data).decode()
    else:
        record["data"] = data
    if record.get("type") == "google.cloud.pubsub.topic.v1.messagePublished":
        message = (data or {}).get("message", {})
        record["pubsub"] = {
            "id": message.get("messageId"),
            "body": base64.b64decode(message.get("data") or "").decode("utf-8", "replace"),
            "attributes": message.get("attributes") or {},
            "publishTime": message.get("publishTime"),
            "orderingKey": message.get("orderingKey"),
        }
    with open(os.environ["PEER_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(record, default=str) + "\n")
