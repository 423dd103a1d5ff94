//! The clients (with `workload.retries`): every unique request a client still waits for, by
//! id, holding its current attempt, and the jitter of their backoffs. An attempt the client no
//! longer waits for (its deadline passed, a later attempt exists) is an orphan: the server may
//! still work on it, but it counts nothing. The retry path itself is in `requests`.

use super::pod::Request;
use crate::rng::Stream;
use std::collections::HashMap;

/// Clients waiting for their requests.
pub(super) struct Clients {
    /// The current attempt of every request a client waits for, by request id.
    waiting: HashMap<u64, Request>,
    next_id: u64,
    /// Backoff jitter.
    rng: Stream,
}

impl Clients {
    pub(super) fn new(seed: u64) -> Clients {
        Clients {
            waiting: HashMap::new(),
            next_id: 1,
            rng: Stream::new(seed, "retry"),
        }
    }

    /// A new unique request id.
    pub(super) fn issue_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The client now waits for `req` (its first or a later attempt).
    pub(super) fn wait_for(&mut self, req: Request) {
        self.waiting.insert(req.id, req);
    }

    /// The attempt the client of request `id` waits for, if it still waits.
    pub(super) fn current(&self, id: u64) -> Option<Request> {
        self.waiting.get(&id).copied()
    }

    /// Whether `req` is the attempt its client waits for.
    pub(super) fn waits_for(&self, req: &Request) -> bool {
        self.waiting
            .get(&req.id)
            .is_some_and(|c| c.attempt == req.attempt)
    }

    /// The client of request `id` stops waiting (served, or gave up).
    pub(super) fn stop_waiting(&mut self, id: u64) {
        self.waiting.remove(&id);
    }

    /// Requests clients still wait for.
    pub(super) fn waiting_count(&self) -> u64 {
        self.waiting.len() as u64
    }

    /// A uniform draw in [0, 1) for a backoff's jitter.
    pub(super) fn jitter_draw(&mut self) -> f64 {
        self.rng.uniform()
    }
}
