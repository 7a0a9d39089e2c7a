//! [`DeliveryLedger`]: every asynchronous delivery the sources accepted, until it ends processed
//! or dead-lettered, so shutdown can say exactly what was left.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use faasport_core::Event;

use super::depth::DepthPermit;

/// One delivery that has not ended yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PendingDelivery {
    /// The function it is for.
    pub function: String,
    /// The event's id.
    pub event_id: String,
    /// The attempt it is on (0 before the first).
    pub attempt: u32,
}

/// Counts of asynchronous deliveries. `deliveries == processed + dead_lettered + pending`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeliveryCounts {
    /// Deliveries accepted (one per subscriber per event, plus duplicates).
    pub deliveries: u64,
    /// Of those, extra copies made by duplicate delivery.
    pub duplicates: u64,
    /// Deliveries that ended with the handler succeeding.
    pub processed: u64,
    /// Deliveries that ended in the dead-letter store.
    pub dead_lettered: u64,
    /// Handler invocations, retries included.
    pub invocations: u64,
    /// Deliveries not ended yet.
    pub pending: u64,
}

/// A ticket for one open delivery.
#[derive(Debug)]
pub(crate) struct Ticket(u64);

/// An open delivery: what it is, the one copy of its event that every delivery of the same
/// message shares, and its message's place in its topic (given back when the last one ends).
#[derive(Debug)]
struct Open {
    pending: PendingDelivery,
    event: Arc<Event>,
    _place: Option<Arc<DepthPermit>>,
}

/// The ledger of asynchronous deliveries.
#[derive(Debug, Default)]
pub struct DeliveryLedger {
    next: AtomicU64,
    duplicates: AtomicU64,
    processed: AtomicU64,
    dead_lettered: AtomicU64,
    invocations: AtomicU64,
    open: Mutex<BTreeMap<u64, Open>>,
}

impl DeliveryLedger {
    pub(crate) fn open(
        &self,
        function: &str,
        event_id: &str,
        duplicate: bool,
        event: Arc<Event>,
        place: Option<Arc<DepthPermit>>,
    ) -> Ticket {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        if duplicate {
            self.duplicates.fetch_add(1, Ordering::Relaxed);
        }
        let pending = PendingDelivery {
            function: function.to_owned(),
            event_id: event_id.to_owned(),
            attempt: 0,
        };
        let open = Open {
            pending,
            event,
            _place: place,
        };
        self.lock().insert(id, open);
        Ticket(id)
    }

    pub(crate) fn attempt(&self, ticket: &Ticket, attempt: u32) {
        self.invocations.fetch_add(1, Ordering::Relaxed);
        if let Some(open) = self.lock().get_mut(&ticket.0) {
            open.pending.attempt = attempt;
        }
    }

    pub(crate) fn processed(&self, ticket: Ticket) {
        self.processed.fetch_add(1, Ordering::Relaxed);
        self.lock().remove(&ticket.0);
    }

    pub(crate) fn dead_lettered(&self, ticket: Ticket) {
        self.dead_lettered.fetch_add(1, Ordering::Relaxed);
        self.lock().remove(&ticket.0);
    }

    /// The counts so far.
    pub fn counts(&self) -> DeliveryCounts {
        DeliveryCounts {
            deliveries: self.next.load(Ordering::Relaxed),
            duplicates: self.duplicates.load(Ordering::Relaxed),
            processed: self.processed.load(Ordering::Relaxed),
            dead_lettered: self.dead_lettered.load(Ordering::Relaxed),
            invocations: self.invocations.load(Ordering::Relaxed),
            pending: self.lock().len() as u64,
        }
    }

    /// The deliveries not ended yet, oldest first.
    pub fn pending(&self) -> Vec<PendingDelivery> {
        self.lock().values().map(|o| o.pending.clone()).collect()
    }

    /// The deliveries not ended yet with their events, oldest first.
    pub(crate) fn open_events(&self) -> Vec<(PendingDelivery, Arc<Event>)> {
        let open = self.lock();
        open.values()
            .map(|o| (o.pending.clone(), o.event.clone()))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Open>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
