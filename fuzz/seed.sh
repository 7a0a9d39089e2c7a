#!/usr/bin/env bash
# Builds the fuzz targets' seed corpora (fuzz/seeds/<target>/) from the adapters' test fixtures.
# Run from anywhere; it rewrites the seed folders. The seeds are committed, so CI and
# fuzz/tests/seeds.rs do not need to run it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seeds="$root/fuzz/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"/{aws_payload,gcp_request,azure_request,schedule,replay_trace,invoke_event}

cp "$root"/crates/adapter-aws/tests/fixtures/*.json "$seeds/aws_payload/"
cp "$root"/crates/adapter-azure/tests/fixtures/*.json "$seeds/azure_request/"

# Google Cloud: each body behind the headers its form is sent with (path, headers, empty line).
gcp="$root/crates/adapter-gcp/tests/fixtures"
for f in "$gcp"/*.json; do
  name=$(basename "$f" .json)
  case "$name" in
    *structured*) head=$'/\ncontent-type: application/cloudevents+json' ;;
    *push*) head=$'/projects/p/topics/orders\ncontent-type: application/json' ;;
    legacy-*) head=$'/\ncontent-type: application/json' ;;
    pubsub-*-data) head=$'/\nce-specversion: 1.0\nce-id: 1\nce-type: google.cloud.pubsub.topic.v1.messagePublished\nce-source: //pubsub.googleapis.com/projects/p/topics/orders\ncontent-type: application/json' ;;
    storage-*-data) head=$'/\nce-specversion: 1.0\nce-id: 2\nce-type: google.cloud.storage.object.v1.finalized\nce-source: //storage.googleapis.com/projects/_/buckets/uploads\nce-subject: objects/a.txt\nce-time: 2020-09-29T11:32:00.000Z\ncontent-type: application/json' ;;
    *) head=$'/\ncontent-type: application/json' ;;
  esac
  { printf '%s\n\n' "$head"; cat "$f"; } > "$seeds/gcp_request/$name"
done
printf '/\nx-cloudscheduler: true\nx-cloudscheduler-scheduletime: 2024-01-01T02:00:00Z\n\n' > "$seeds/gcp_request/scheduler"
printf '/hello\ncontent-type: text/plain\n\nhello' > "$seeds/gcp_request/plain-http"

i=0
for expression in 'rate(5 minutes)' 'rate(1 minute)' 'rate(1 hour)' 'rate(2 days)' \
  'cron(0 12 * * ? *)' 'cron(0/15 8-17 ? * MON-FRI *)' 'cron(0 9 L * ? 2030)' \
  '0 2 * * *' '*/5 * * * *' '0 */5 * * * *' '0 0 1 1 *' '0 9-17 * * 1-5' '0 0 L * *' \
  '0 0 29 2 *' '30 4 1,15 * 5' '@daily' 'rate(0 minutes)' '61 * * * *'; do
  i=$((i + 1))
  printf '%s' "$expression" > "$seeds/schedule/$i"
done

replay="$root/crates/adapter-local/tests/fixtures/replay"
for f in "$replay"/periodic.csv "$replay"/unsorted.csv "$replay"/bad_duration.csv "$replay"/bad_field_count.csv; do
  { printf '\x00'; cat "$f"; } > "$seeds/replay_trace/csv-$(basename "$f" .csv)"
done
for selector in 01 03 05 07 0f 1f; do
  { printf "\x$selector"; cat "$replay/azure_invocations.csv"; printf '\x00'; cat "$replay/azure_durations.csv"; } \
    > "$seeds/replay_trace/azure-$selector"
done
{ printf '\x01'; cat "$replay/azure_bad_count.csv"; } > "$seeds/replay_trace/azure-bad-count"

ev="$seeds/invoke_event"
printf '%s' '{"kind": "http", "event": {"method": "POST", "uri": "/orders", "headers": [["content-type", "application/json"]], "body": "{}"}}' > "$ev/http"
printf '%s' '{"kind": "queue", "event": {"queue": "jobs", "messages": [{"id": "1", "body": "hello"}]}}' > "$ev/queue"
printf '%s' '{"kind": "topic", "event": {"topic": "orders", "id": "m1", "body": "hello"}}' > "$ev/topic"
printf '%s' '{"kind": "schedule", "event": {"schedule": "rate(5 minutes)", "at": "2024-01-01T00:00:00Z"}}' > "$ev/schedule"
printf '%s' '{"kind": "cloud_event", "event": {"id": "1", "source": "/s", "type": "com.example.thing", "specversion": "1.0"}}' > "$ev/cloud_event"
printf '%s' '{"qty": 2}' > "$ev/plain"
printf 'HTTP POST /orders/7?x=1\n{"qty": 2}' > "$ev/http-line"
printf 'HTTP GET /\n' > "$ev/http-line-root"
echo "seeds: $(find "$seeds" -type f | wc -l) files in $seeds"
