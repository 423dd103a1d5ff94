//! When each metric backend's sampler scrapes next, and when metrics-server next has something
//! to do, kept beside the run's agenda instead of in it: a day at 1 s truth-probe intervals is
//! ~86,000 scrapes, and seeded metric phases ~63,000 kubelet reads and scrapes, each a heap
//! push and pop there (docs/performance.md). Each due time is an ordering [`Key`] stamped by the agenda when the
//! scrape is planned, exactly as scheduling it would stamp it, so scrapes interleave with the
//! agenda's events (and with each other) in the very order they did as agenda events.

use crate::engine::{Key, NEVER, key_time};

/// The next scrape of each sampler, and the earliest of them.
#[derive(Debug)]
pub(crate) struct ScrapeTimes {
    /// Per sampler, its next scrape's key ([`NEVER`]: none planned).
    keys: Vec<Key>,
    /// The earliest key of `keys` ([`NEVER`] when there is none), its time and its sampler.
    next: Key,
    next_at: f64,
    next_sampler: usize,
}

impl Default for ScrapeTimes {
    fn default() -> Self {
        ScrapeTimes::new(0)
    }
}

impl ScrapeTimes {
    /// No scrape planned for any of `samplers` samplers yet.
    pub(crate) fn new(samplers: usize) -> ScrapeTimes {
        ScrapeTimes {
            keys: vec![NEVER; samplers],
            next: NEVER,
            next_at: f64::INFINITY,
            next_sampler: 0,
        }
    }

    /// Plan sampler `sampler`'s next scrape at `key` (replacing the one it had).
    pub(crate) fn plan(&mut self, sampler: usize, key: Key) {
        self.keys[sampler] = key;
        if key < self.next {
            self.next = key;
            self.next_at = key_time(key);
            self.next_sampler = sampler;
        } else if sampler == self.next_sampler {
            self.find_next();
        }
    }

    /// The earliest planned scrape's key ([`NEVER`] when none is) and its sampler.
    #[inline]
    pub(crate) fn next(&self) -> (Key, usize) {
        (self.next, self.next_sampler)
    }

    /// The earliest planned scrape's time (+∞ when none is).
    #[inline]
    pub(crate) fn next_time(&self) -> f64 {
        self.next_at
    }

    fn find_next(&mut self) {
        let (mut next, mut at) = (NEVER, 0);
        for (i, &k) in self.keys.iter().enumerate() {
            if k < next {
                (next, at) = (k, i);
            }
        }
        self.next = next;
        self.next_at = key_time(next);
        self.next_sampler = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Agenda;

    /// Scrapes planned through `ScrapeTimes` come out in the order the agenda gives the same
    /// plans made as events (the run's former way), interleaved with other events.
    #[test]
    fn scrapes_come_due_in_the_agenda_order() {
        let intervals = [1.0, 0.7, 30.0, 1.0];
        let others = [0.5, 3.0, 3.0, 7.25, 30.0];
        // The former way: every scrape an agenda event.
        let mut agenda: Agenda<(bool, usize)> = Agenda::new();
        for (i, &at) in others.iter().enumerate() {
            agenda.schedule(at, (false, i));
        }
        for i in 0..intervals.len() {
            agenda.schedule(0.0, (true, i));
        }
        let mut former = Vec::new();
        while let Some((t, (scrape, i))) = agenda.pop() {
            if t > 40.0 {
                break;
            }
            former.push((t.to_bits(), scrape, i));
            if scrape {
                agenda.schedule(t + intervals[i], (true, i));
            }
        }
        // Scrapes beside the agenda.
        let mut agenda: Agenda<usize> = Agenda::new();
        for (i, &at) in others.iter().enumerate() {
            agenda.schedule(at, i);
        }
        let mut times = ScrapeTimes::new(intervals.len());
        for i in 0..intervals.len() {
            times.plan(i, agenda.stamp(0.0));
        }
        let mut beside = Vec::new();
        loop {
            let (key, i) = times.next();
            let scrape = key < agenda.next_key();
            let t = crate::engine::key_time(key.min(agenda.next_key()));
            if t > 40.0 {
                break;
            }
            if scrape {
                beside.push((t.to_bits(), true, i));
                times.plan(i, agenda.stamp(t + intervals[i]));
            } else {
                let (t, e) = agenda.pop().expect("an event");
                beside.push((t.to_bits(), false, e));
            }
        }
        assert_eq!(former, beside);
        assert!(former.len() > 100);
    }
}
