//! metrics-server: every `resolution` seconds it records each running pod's CPU usage averaged
//! over the window between two of its kubelet's stats collections (cAdvisor counters), and its
//! memory in use. The HPA's resource metrics read the latest record, so what it sees is up to
//! one resolution old and averaged over about one resolution.
//!
//! When it scrapes, and which collection each kubelet hands it, is `cluster.metric_phases`:
//! `aligned` scrapes at resolution, 2 × resolution, … and reads every pod at the scrape instant;
//! `seeded` starts the ticker at a phase drawn from the seed and reads each pod as its kubelet
//! last collected it (a collection every [`KUBELET_HOUSEKEEPING`] on the kubelet's own phase),
//! published at the scrape (`docs/metrics-pipeline.md`).

use super::phases::{
    KUBELET_HOUSEKEEPING, KUBELET_SLOTS, kubelet_collection_before, kubelet_slot,
    metrics_server_first_scrape,
};
use crate::settings::metric_phases::MetricPhases;
use crate::world::{PodState, World};

/// One pod's latest resource sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PodUsage {
    /// Average cores over the window.
    pub(crate) cpu_cores: f64,
    /// Bytes in use at the scrape.
    pub(crate) memory_bytes: f64,
    /// Scrape instant (the sample's timestamp).
    pub(crate) timestamp: f64,
    /// Length of the averaging window.
    pub(crate) window: f64,
}

/// A pod's sample, double-buffered on seeded phases: a kubelet read of the pod waits in
/// `staged` for the scrape that publishes it, and that scrape only counts
/// ([`MetricsServer::published`]) instead of copying every read into place. The next read of
/// the pod folds a published `staged` into `cur` before staging its own.
#[derive(Debug, Clone, Copy)]
struct SampleSlot {
    /// The sample until `staged` is published (for good when nothing is staged).
    cur: Option<PodUsage>,
    /// What the pod's last read not yet folded into `cur` makes its sample.
    staged: Option<PodUsage>,
    /// The count of scrapes from which `staged` is the sample ([`NOT_STAGED`]: none staged).
    staged_at: u64,
}

/// [`SampleSlot::staged_at`] when nothing is staged: never published.
const NOT_STAGED: u64 = u64::MAX;

/// A pod without a sample, read or not.
const NO_SAMPLE: SampleSlot = SampleSlot {
    cur: None,
    staged: None,
    staged_at: NOT_STAGED,
};

impl SampleSlot {
    /// The sample after `published` scrapes.
    #[inline]
    fn value(&self, published: u64) -> Option<PodUsage> {
        *if self.staged_at <= published {
            &self.staged
        } else {
            &self.cur
        }
    }

    /// metrics-server went down after `published` scrapes: no sample any more, but a read
    /// staged for the next scrape stays, to be published then.
    fn wipe(&mut self, published: u64) {
        if self.staged_at <= published {
            self.staged_at = NOT_STAGED;
            self.staged = None;
        }
        self.cur = None;
    }

    /// Stage what a read after `published` scrapes makes the sample, published by the next
    /// scrape; a read before it in the same period is overwritten (the later read wins, as
    /// applying both in read order would give), one already published is folded into `cur`.
    #[inline]
    fn stage(&mut self, published: u64, sample: Option<PodUsage>) {
        if self.staged_at <= published {
            self.cur = self.staged;
        }
        self.staged = sample;
        self.staged_at = published + 1;
    }
}

#[derive(Debug, Clone)]
pub(crate) struct MetricsServer {
    pub(crate) resolution: f64,
    /// Latest sample per pod id (`None` before the pod's first full window), as of
    /// `published` scrapes.
    samples: Vec<SampleSlot>,
    /// Scrapes that published the seeded reads so far.
    published: u64,
    /// The pods that hold a sample (on seeded phases: published or staged): the only gone pods
    /// whose sample a scrape (or a kubelet read on seeded phases) must clear, so that it reads
    /// live pods only. A gone pod leaves it when its clearing read is staged.
    holding: Holding,
    /// Scratch: the live pods of one scrape (a copy, since reading a pod advances it).
    live: Vec<u32>,
    /// The seeded clock (`None`: aligned, every pod read at the scrape instant).
    seeded: Option<Box<SeededClock>>,
    /// Windows `[from, to)` during which metrics-server is down (`faults:`), in time order.
    outages: Vec<(f64, f64)>,
    /// Does any autoscaler read the pods' memory? When none does, a sample's memory is left
    /// at 0 rather than worked out at every read (see [`MetricsServer::set_memory_read`]).
    memory_read: bool,
}

/// What a read of a pod follows besides the pod: the resolution (a pod's first sample waits
/// one full window) and whether its memory is read.
#[derive(Debug, Clone, Copy)]
struct ReadRules {
    resolution: f64,
    memory: bool,
}

/// The pods holding a sample, in no particular order (each read lands on its own pod's sample,
/// so the order never shows), with a flag per pod id so that adding one is a lookup, not a sort.
/// The flags are set up on the first [`Holding::insert`] after a [`Holding::refill`], so that
/// aligned scrapes, which only refill, never pay for them.
#[derive(Debug, Clone, Default)]
struct Holding {
    ids: Vec<u32>,
    /// `member[id]`: `id` is in `ids` (unless `stale`).
    member: Vec<bool>,
    stale: bool,
}

impl Holding {
    fn ids(&self) -> &[u32] {
        &self.ids
    }

    fn clear(&mut self) {
        if !self.stale {
            for &id in &self.ids {
                self.member[id as usize] = false;
            }
        }
        self.ids.clear();
    }

    /// Hold exactly `ids` (distinct).
    fn refill(&mut self, ids: impl Iterator<Item = u32>) {
        self.ids.clear();
        self.ids.extend(ids);
        self.stale = true;
    }

    fn insert(&mut self, id: u32) {
        if self.stale {
            self.member.fill(false);
            for &h in &self.ids {
                let h = h as usize;
                if self.member.len() <= h {
                    self.member.resize(h + 1, false);
                }
                self.member[h] = true;
            }
            self.stale = false;
        }
        let i = id as usize;
        if self.member.len() <= i {
            self.member.resize(i + 1, false);
        }
        if !self.member[i] {
            self.member[i] = true;
            self.ids.push(id);
        }
    }

    /// Keep the pods `keep` keeps.
    fn retain(&mut self, keep: impl Fn(u32) -> bool) {
        if self.stale {
            self.ids.retain(|&id| keep(id));
            return;
        }
        let member = &mut self.member;
        self.ids.retain(|&id| {
            let kept = keep(id);
            if !kept {
                member[id as usize] = false;
            }
            kept
        });
    }

    /// Drop pod `id`, if held.
    fn remove(&mut self, id: u32) {
        self.retain(|h| h != id);
    }
}

/// What one read of a pod does to its sample.
#[derive(Debug, Clone, Copy)]
enum Read {
    /// The pod is not running: no sample.
    Clear,
    /// No full window since the previous read: keep the sample.
    Keep,
    Set(PodUsage),
}

/// metrics-server's ticker and the kubelets' collections on seeded phases.
#[derive(Debug, Clone)]
struct SeededClock {
    /// The next scrape, when what was read is published.
    next_scrape: f64,
    /// The kubelet collections the next scrape hands over, in time order: (instant, slot).
    reads: ReadPlan,
    /// Whether a read was staged since the last scrape (see [`SampleSlot`]).
    staged_since_scrape: bool,
    slots: KubeletSlots,
    /// The live pods and the gone pods of `holding` sorted by kubelet slot (see [`SlotBuckets`]).
    buckets: SlotBuckets,
}

/// The kubelet collections one scrape hands over, in time order, as a fixed array read from
/// its front (at most one per slot): no deque to grow or wrap for ten entries.
#[derive(Debug, Clone, Copy, Default)]
struct ReadPlan {
    reads: [(f64, u8); KUBELET_SLOTS],
    head: usize,
    len: usize,
}

impl ReadPlan {
    /// The next collection: (instant, slot).
    #[inline]
    fn front(&self) -> Option<(f64, u8)> {
        (self.head < self.len).then(|| self.reads[self.head])
    }

    #[inline]
    fn pop_front(&mut self) {
        self.head += 1;
    }

    /// Plan exactly `reads` (at most [`KUBELET_SLOTS`], in order).
    fn set(&mut self, reads: &[(f64, u8)]) {
        self.reads[..reads.len()].copy_from_slice(reads);
        self.head = 0;
        self.len = reads.len();
    }
}

/// The kubelet slot of each pod and node, drawn once from the seed.
#[derive(Debug, Clone)]
struct KubeletSlots {
    seed: u64,
    /// Kubelet slot per pod id and per node id (`u8::MAX`: not known yet).
    pod_slots: Vec<u8>,
    node_slots: Vec<u8>,
}

/// The pods each kubelet slot reads, so that a read of one slot visits its own pods only
/// instead of every live pod and every holding pod (docs/performance.md, "Sweeps").
/// The live part is sorted again when the live set differs from the one it was sorted from
/// (see [`LiveKey`]; or, at a scrape, while some pod is unsettled); the gone part whenever the
/// live part is, and after a scrape (which changes `holding`).
#[derive(Debug, Clone, Default)]
struct SlotBuckets {
    live_valid: bool,
    gone_valid: bool,
    /// The live set the buckets were sorted from.
    live: LiveKey,
    /// The number of gone pods when the gone part was last sorted with nothing read but not
    /// yet published and came out empty (see [`SlotBuckets::sort_gone`]).
    none_gone_at: Option<usize>,
    /// Per slot: its live pods whose slot is settled, in id order.
    by_slot: [Vec<u32>; KUBELET_SLOTS],
    /// Per slot: its gone pods of `holding`.
    gone: [Vec<u32>; KUBELET_SLOTS],
    /// Live pods whose slot is not settled yet (Pending: its node may still change).
    unsettled: Vec<u32>,
}

/// What tells live sets of one world apart without comparing them: pods are only ever added,
/// each with the next id, and a pod that has gone never comes back, so the live set changes
/// exactly when a pod is created or goes, that is when the number of pods ever created or the
/// number gone (created less live) changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct LiveKey {
    created: usize,
    live: usize,
}

impl LiveKey {
    fn of(world: &World) -> LiveKey {
        LiveKey {
            created: world.pods().len(),
            live: world.pods().live_ids().len(),
        }
    }

    /// Pods gone so far.
    fn gone(self) -> usize {
        self.created - self.live
    }
}

impl MetricsServer {
    pub(crate) fn new(resolution: f64, mode: MetricPhases, seed: u64) -> Self {
        let seeded = (mode == MetricPhases::Seeded).then(|| {
            let first = metrics_server_first_scrape(mode, seed, resolution);
            let mut clock = SeededClock {
                next_scrape: first,
                reads: ReadPlan::default(),
                staged_since_scrape: false,
                slots: KubeletSlots {
                    seed,
                    pod_slots: Vec::new(),
                    node_slots: Vec::new(),
                },
                buckets: SlotBuckets::default(),
            };
            clock.plan_reads(0.0);
            Box::new(clock)
        });
        MetricsServer {
            resolution,
            samples: Vec::new(),
            published: 0,
            holding: Holding::default(),
            live: Vec::new(),
            seeded,
            outages: Vec::new(),
            memory_read: true,
        }
    }

    /// Whether any autoscaler reads the pods' memory (true until told otherwise): when none
    /// does, the samples' `memory_bytes` stay 0.
    pub(crate) fn set_memory_read(&mut self, read: bool) {
        self.memory_read = read;
    }

    fn rules(&self) -> ReadRules {
        ReadRules {
            resolution: self.resolution,
            memory: self.memory_read,
        }
    }

    /// The first instant metrics-server has something to do.
    pub(crate) fn first_due(&self) -> f64 {
        match &self.seeded {
            None => self.resolution,
            Some(c) => c.next_due(),
        }
    }

    /// The windows during which metrics-server is down (docs/faults.md#metrics-server).
    pub(crate) fn set_outages(&mut self, outages: Vec<(f64, f64)>) {
        self.outages = outages;
    }

    /// Does the resource metrics API answer at `now`?
    pub(crate) fn serving(&self, now: f64) -> bool {
        !self
            .outages
            .iter()
            .any(|&(from, to)| from <= now && now < to)
    }

    /// Do what is due at `now` (a kubelet collection read, a scrape); the next instant due.
    /// While down, and for one resolution after it starts again (a CPU rate needs two
    /// scrapes), metrics-server has no sample to give.
    pub(crate) fn on_due(&mut self, now: f64, world: &mut World) -> f64 {
        let next = self.collect(now, world);
        let answering =
            self.outages.is_empty() || (self.serving(now) && self.serving(now - self.resolution));
        if !answering {
            // Every sample goes; the reads staged for the next scrape stay, to be published.
            self.holding.clear();
            let published = self.published;
            for (id, s) in self.samples.iter_mut().enumerate() {
                s.wipe(published);
                if s.staged.is_some() {
                    self.holding.insert(id as u32);
                }
            }
            if let Some(clock) = self.seeded.as_mut() {
                clock.buckets.gone_valid = false;
            }
        }
        next
    }

    /// The reads and scrapes due at `now`; the next instant due.
    fn collect(&mut self, now: f64, world: &mut World) -> f64 {
        let rules = self.rules();
        let Some(clock) = self.seeded.as_mut() else {
            self.scrape(now, world);
            return now + self.resolution;
        };
        while let Some((at, slot)) = clock.reads.front() {
            if at > now + 1e-9 {
                break;
            }
            clock.reads.pop_front();
            let pods = world.pods().len();
            if self.samples.len() < pods {
                self.samples.resize(pods, NO_SAMPLE);
            }
            let to = Staging {
                samples: &mut self.samples,
                published: self.published,
                holding: &mut self.holding,
            };
            clock.read_slot(slot, now, world, rules, to);
        }
        if now + 1e-9 >= clock.next_scrape {
            // What was staged is published: counted, not copied (see `SampleSlot`).
            self.published += 1;
            clock.staged_since_scrape = false;
            clock.next_scrape += self.resolution;
            clock.plan_reads(now);
        }
        clock.next_due()
    }

    /// Scrape every live pod at `now` (aligned: the kubelet's window ends at the scrape); a pod
    /// gone since the last scrape loses its sample.
    pub(crate) fn scrape(&mut self, now: f64, world: &mut World) {
        let pods = world.pods().len();
        if self.samples.len() < pods {
            self.samples.resize(pods, NO_SAMPLE);
        }
        // Aligned: nothing is ever staged, `cur` is the sample.
        for &id in self.holding.ids() {
            if world.pods().get(id).state == PodState::Gone {
                self.samples[id as usize].cur = None;
            }
        }
        self.live.clear();
        self.live.extend_from_slice(world.pods().live_ids());
        for &id in &self.live {
            let read = read_pod(world, id, now, self.rules());
            apply(&mut self.samples[id as usize].cur, read);
        }
        self.note_holding();
    }

    /// Remember which pods hold a sample now (see `holding`).
    fn note_holding(&mut self) {
        if let Some(clock) = self.seeded.as_mut() {
            clock.buckets.none_gone_at = None;
        }
        let samples = &self.samples;
        self.holding.refill(
            self.live
                .iter()
                .copied()
                .filter(|&id| samples[id as usize].value(self.published).is_some()),
        );
    }

    /// The latest sample of a pod, if it has one.
    #[inline]
    pub(crate) fn sample(&self, pod: u32) -> Option<PodUsage> {
        self.samples
            .get(pod as usize)
            .and_then(|s| s.value(self.published))
    }
}

/// What the kubelet reports of pod `id` at `now`, as metrics-server turns it into a sample.
fn read_pod(world: &mut World, id: u32, now: f64, rules: ReadRules) -> Read {
    let state = world.pods().get(id).state;
    if matches!(state, PodState::Pending | PodState::Gone) {
        return Read::Clear;
    }
    let scrape = world.scrape_pod(id, now);
    let memory = if rules.memory {
        world.memory_bytes(id)
    } else {
        0.0
    };
    let window = now - scrape.last_at;
    if window <= 0.0 {
        return Read::Keep;
    }
    // A pod's first sample comes one full window after its container started.
    let first = scrape.running_at.is_some_and(|r| scrape.last_at <= r);
    if first && window < rules.resolution - 1e-9 {
        return Read::Keep;
    }
    Read::Set(PodUsage {
        cpu_cores: (scrape.cpu_seconds - scrape.cpu_at_last) / window,
        memory_bytes: memory,
        timestamp: now,
        window,
    })
}

fn apply(sample: &mut Option<PodUsage>, read: Read) {
    match read {
        Read::Clear => *sample = None,
        Read::Keep => {}
        Read::Set(u) => *sample = Some(u),
    }
}

/// Each kubelet slot's latest collection at or before `scrape`, when later than `previous`
/// and than t = 0, in time order (then by slot): `(instant, slot)`, the first `n` entries.
///
/// The slots' offsets rise with the slot, so by slot the instants rise, drop once (from the
/// first slot whose latest collection falls in the period before) and rise again: in time
/// order they are the slots from that drop on, then those before it, and the filter keeps a
/// suffix of that order. Should the instants ever not come out so, they are sorted.
fn reads_before(scrape: f64, previous: f64) -> ([(f64, u8); KUBELET_SLOTS], usize) {
    let mut at = [0.0; KUBELET_SLOTS];
    for (slot, a) in at.iter_mut().enumerate() {
        *a = kubelet_collection_before(slot as u8, scrape);
    }
    let drop = (1..KUBELET_SLOTS).find(|&s| at[s] < at[s - 1]).unwrap_or(0);
    let mut reads = [(0.0, 0u8); KUBELET_SLOTS];
    let mut n = 0;
    for k in 0..KUBELET_SLOTS {
        let slot = (drop + k) % KUBELET_SLOTS;
        let a = at[slot];
        if a > previous + 1e-9 && a > 1e-9 {
            reads[n] = (a, slot as u8);
            n += 1;
        }
    }
    if !reads[..n].is_sorted_by(read_before) {
        reads[..n].sort_unstable_by(read_order);
    }
    (reads, n)
}

/// The order of two planned reads: by instant, then by slot.
fn read_order(a: &(f64, u8), b: &(f64, u8)) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// Does planned read `a` come strictly before `b` in [`read_order`]? For the instants a plan
/// holds (finite, above 1e-9, so no NaN and no signed zero) `total_cmp` is the plain
/// comparison, which is cheaper.
#[inline]
fn read_before(a: &(f64, u8), b: &(f64, u8)) -> bool {
    a.0 < b.0 || (a.0 == b.0 && a.1 < b.1)
}

impl SeededClock {
    fn next_due(&self) -> f64 {
        self.reads
            .front()
            .map_or(self.next_scrape, |(at, _)| at.min(self.next_scrape))
    }

    /// The collections the next scrape hands over: each kubelet slot's latest collection at or
    /// before it, when later than `previous` (the previous scrape) and than t = 0.
    /// `holding` changes at a scrape, so the slot buckets are sorted again for the next one.
    fn plan_reads(&mut self, previous: f64) {
        // A pod settled since the buckets were sorted moves to its slot's bucket.
        if !self.buckets.unsettled.is_empty() {
            self.buckets.live_valid = false;
        }
        self.buckets.gone_valid = false;
        let (reads, n) = reads_before(self.next_scrape, previous);
        let reads = &reads[..n];
        debug_assert!(
            reads
                .iter()
                .all(|r| self.next_scrape - r.0 < KUBELET_HOUSEKEEPING)
        );
        self.reads.set(reads);
    }

    /// Read the pods whose kubelet collects on `slot`, at `now`, staging what each read makes
    /// its sample: the live ones, and the gone ones of `holding` (a gone pod without a sample
    /// has nothing to clear).
    fn read_slot(
        &mut self,
        slot: u8,
        now: f64,
        world: &mut World,
        rules: ReadRules,
        mut to: Staging,
    ) {
        let b = &mut self.buckets;
        if !b.live_valid || b.live != LiveKey::of(world) {
            b.sort_live(&mut self.slots, world);
        }
        if !b.gone_valid {
            let settled = !self.staged_since_scrape;
            b.sort_gone(&mut self.slots, world, to.holding.ids(), settled);
        }
        self.staged_since_scrape = true;
        // Each read lands on its own pod's sample; a pod read twice in a period keeps the later.
        let s = slot as usize;
        for &id in &b.by_slot[s] {
            to.read(world, id, now, rules);
        }
        for &id in &b.gone[s] {
            to.samples[id as usize].stage(to.published, None);
            to.holding.remove(id);
        }
        for &id in &b.unsettled {
            if self.slots.slot_of(world, id) == slot {
                to.read(world, id, now, rules);
            }
        }
    }
}

/// Where a seeded read stages what it makes a sample: the samples (one per pod the world has
/// created), the scrapes published so far, and the pods holding a sample.
struct Staging<'a> {
    samples: &'a mut [SampleSlot],
    published: u64,
    holding: &'a mut Holding,
}

impl Staging<'_> {
    /// Read pod `id` at `now`, staging what the read makes its sample (a `Keep` changes
    /// nothing).
    #[inline]
    fn read(&mut self, world: &mut World, id: u32, now: f64, rules: ReadRules) {
        match read_pod(world, id, now, rules) {
            Read::Keep => {}
            Read::Clear => self.samples[id as usize].stage(self.published, None),
            Read::Set(u) => {
                self.samples[id as usize].stage(self.published, Some(u));
                self.holding.insert(id);
            }
        }
    }
}

impl SlotBuckets {
    /// Sort the live pods by kubelet slot; the gone part is sorted again after.
    fn sort_live(&mut self, slots: &mut KubeletSlots, world: &World) {
        self.live = LiveKey::of(world);
        self.unsettled.clear();
        for v in &mut self.by_slot {
            v.clear();
        }
        for &id in world.pods().live_ids() {
            let slot = slots.slot_of(world, id);
            if slots.pod_slots.get(id as usize) == Some(&slot) {
                self.by_slot[slot as usize].push(id);
            } else {
                self.unsettled.push(id);
            }
        }
        self.live_valid = true;
        self.gone_valid = false;
    }

    /// Sort the gone pods of `holding` by kubelet slot (`settled`: no read is waiting to be
    /// published).
    ///
    /// When the last sort found no gone pod in `holding` with no read waiting, and no pod has
    /// gone since, there is none still: `holding` since gained only pods read after that sort,
    /// which were not gone when read (a read of a gone pod clears), so had one of them gone
    /// the number gone would have changed. The buckets are then left as they are, empty.
    fn sort_gone(
        &mut self,
        slots: &mut KubeletSlots,
        world: &World,
        holding: &[u32],
        settled: bool,
    ) {
        let gone_now = LiveKey::of(world).gone();
        self.gone_valid = true;
        if self.none_gone_at == Some(gone_now) {
            debug_assert!(self.gone.iter().all(Vec::is_empty));
            debug_assert!(
                holding
                    .iter()
                    .all(|&id| world.pods().get(id).state != PodState::Gone)
            );
            return;
        }
        for v in &mut self.gone {
            v.clear();
        }
        let mut any = false;
        for &id in holding {
            if world.pods().get(id).state == PodState::Gone {
                let slot = slots.slot_of(world, id);
                self.gone[slot as usize].push(id);
                any = true;
            }
        }
        self.none_gone_at = (settled && !any).then_some(gone_now);
    }
}

impl KubeletSlots {
    /// The kubelet slot of pod `id`: its node's, or its own without nodes. Cached per pod once
    /// the pod is past Pending (its node no longer changes), so a read of one slot skips the
    /// other pods on a byte compare.
    fn slot_of(&mut self, world: &World, id: u32) -> u8 {
        let i = id as usize;
        if let Some(&slot) = self.pod_slots.get(i).filter(|&&s| s != u8::MAX) {
            return slot;
        }
        let pod = world.pods().get(id);
        let slot = match pod.node {
            Some(n) => {
                let n = n as usize;
                if self.node_slots.len() <= n {
                    self.node_slots.resize(n + 1, u8::MAX);
                }
                if self.node_slots[n] == u8::MAX {
                    self.node_slots[n] = kubelet_slot(self.seed, true, n as u32);
                }
                self.node_slots[n]
            }
            None => kubelet_slot(self.seed, false, id),
        };
        if pod.state != PodState::Pending {
            if self.pod_slots.len() <= i {
                self.pod_slots.resize(i + 1, u8::MAX);
            }
            self.pod_slots[i] = slot;
        }
        slot
    }
}

impl MetricsServer {
    /// Give pods that were running before the run a sample as if the run's initial load had
    /// been flowing for a while (`cores` per pod), so controllers at t = 0 see a steady state
    /// rather than a gap.
    pub(crate) fn prime(&mut self, now: f64, world: &World, cores: f64) {
        self.samples.resize(world.pods().len(), NO_SAMPLE);
        for p in world
            .pods()
            .iter()
            .filter(|p| p.running_at.is_some_and(|r| r < now))
        {
            self.samples[p.id as usize].cur = Some(PodUsage {
                cpu_cores: cores,
                memory_bytes: world.memory_bytes(p.id),
                timestamp: now,
                window: self.resolution,
            });
        }
        self.live.clear();
        self.live.extend_from_slice(world.pods().live_ids());
        self.note_holding();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        /// `read_before` is `read_order(a, b).is_lt()` on the instants a plan holds.
        #[test]
        fn read_before_is_read_order(
            a in prop_oneof![1e-9f64..1e7, (0u32..20).prop_map(|k| f64::from(k) * 2.5 + 1e-6)],
            b in prop_oneof![1e-9f64..1e7, (0u32..20).prop_map(|k| f64::from(k) * 2.5 + 1e-6)],
            sa in 0u8..10,
            sb in 0u8..10,
        ) {
            let (x, y) = ((a, sa), (b, sb));
            prop_assert_eq!(read_before(&x, &y), read_order(&x, &y).is_lt());
            prop_assert_eq!(read_before(&x, &x), read_order(&x, &x).is_lt());
        }

        /// The plan's reads come out in `read_order`, however `reads_before` checks it.
        #[test]
        fn reads_before_in_read_order(scrape in 0.0f64..1e6, back in 0.0f64..30.0) {
            let (reads, n) = reads_before(scrape, scrape - back);
            prop_assert!(reads[..n].is_sorted_by(|x, y| read_order(x, y).is_lt()));
        }
    }

    /// One change to the set of pods holding a sample.
    #[derive(Debug, Clone)]
    enum Op {
        Insert(u32),
        /// Keep the pods whose sample is `Some` in this mask (bit `id % 64`).
        Retain(u64),
        Clear,
        Refill(BTreeSet<u32>),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0u32..40).prop_map(Op::Insert),
            2 => any::<u64>().prop_map(Op::Retain),
            1 => Just(Op::Clear),
            1 => prop::collection::btree_set(0u32..40, 0..12).prop_map(Op::Refill),
        ]
    }

    proptest! {
        /// The reads a scrape plans are every slot's latest collection that passes the filter,
        /// sorted: what planning each slot then sorting gave.
        #[test]
        fn planned_reads_are_the_sorted_collections(scrape in 0.0..200_000.0f64, back in 0.0..40.0f64) {
            let previous = scrape - back;
            let (reads, n) = reads_before(scrape, previous);
            let mut want = Vec::new();
            for slot in 0..KUBELET_SLOTS as u8 {
                let at = kubelet_collection_before(slot, scrape);
                if at > previous + 1e-9 && at > 1e-9 {
                    want.push((at, slot));
                }
            }
            want.sort_by(read_order);
            prop_assert_eq!(&reads[..n], &want[..]);
        }
    }

    proptest! {
        /// `Holding` is the sorted, deduplicated, filtered list it replaces, up to order.
        #[test]
        fn holding_is_the_set_of_the_pods_added_and_kept(ops in prop::collection::vec(op(), 0..60)) {
            let mut h = Holding::default();
            let mut model = BTreeSet::new();
            for op in ops {
                match op {
                    Op::Insert(id) => {
                        h.insert(id);
                        model.insert(id);
                    }
                    Op::Retain(mask) => {
                        let sample = PodUsage { cpu_cores: 0.0, memory_bytes: 0.0, timestamp: 0.0, window: 1.0 };
                        let samples: Vec<Option<PodUsage>> = (0..40u32)
                            .map(|id| (mask >> (id % 64) & 1 == 1).then_some(sample))
                            .collect();
                        h.retain(|id| samples[id as usize].is_some());
                        model.retain(|&id| samples[id as usize].is_some());
                    }
                    Op::Clear => {
                        h.clear();
                        model.clear();
                    }
                    Op::Refill(ids) => {
                        h.refill(ids.iter().rev().copied());
                        model = ids;
                    }
                }
                let mut ids = h.ids().to_vec();
                ids.sort_unstable();
                prop_assert_eq!(&ids, &model.iter().copied().collect::<Vec<_>>());
                if !h.stale {
                    for (id, &m) in h.member.iter().enumerate() {
                        prop_assert_eq!(m, model.contains(&(id as u32)));
                    }
                }
            }
        }
    }

    #[test]
    fn serves_outside_its_outages_only() {
        let mut ms = MetricsServer::new(15.0, MetricPhases::Aligned, 1);
        assert!(ms.serving(100.0));
        ms.set_outages(vec![(60.0, 120.0)]);
        assert!(ms.serving(59.9));
        assert!(!ms.serving(60.0));
        assert!(!ms.serving(119.9));
        assert!(ms.serving(120.0));
    }

    /// One step of a seeded period for the double-buffer property.
    #[derive(Debug, Clone)]
    enum Step {
        /// A read of pod `.0`: `Some(v)` sets its sample to `v`, `None` clears it.
        Read(u8, Option<u8>),
        /// A scrape: what was read is published.
        Publish,
        /// metrics-server down: every sample goes, the unpublished reads stay.
        Wipe,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (0u8..8, proptest::option::of(any::<u8>())).prop_map(|(p, v)| Step::Read(p, v)),
            2 => Just(Step::Publish),
            1 => Just(Step::Wipe),
        ]
    }

    proptest! {
        /// The double-buffered samples (`SampleSlot`) serve, after every step, what the queue
        /// of pending reads applied in read order at each scrape served.
        #[test]
        fn staged_samples_serve_what_the_pending_queue_did(steps in prop::collection::vec(step(), 0..80)) {
            let usage = |v: u8| PodUsage { cpu_cores: f64::from(v), memory_bytes: 0.0, timestamp: 1.0, window: 15.0 };
            let mut queue_samples: Vec<Option<PodUsage>> = vec![None; 8];
            let mut pending: Vec<(usize, Read)> = Vec::new();
            let mut slots = vec![NO_SAMPLE; 8];
            let mut published = 0u64;
            for st in steps {
                match st {
                    Step::Read(p, v) => {
                        let read = v.map_or(Read::Clear, |v| Read::Set(usage(v)));
                        pending.push((p as usize, read));
                        slots[p as usize].stage(published, v.map(usage));
                    }
                    Step::Publish => {
                        for (p, read) in pending.drain(..) {
                            apply(&mut queue_samples[p], read);
                        }
                        published += 1;
                    }
                    Step::Wipe => {
                        queue_samples.fill(None);
                        for s in &mut slots {
                            s.wipe(published);
                        }
                    }
                }
                for p in 0..8 {
                    prop_assert_eq!(slots[p].value(published), queue_samples[p]);
                }
            }
        }
    }
}
