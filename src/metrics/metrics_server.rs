//! metrics-server: every `resolution` seconds it records each running pod's CPU usage averaged
//! over the window since its previous scrape (cAdvisor counters), and its memory in use. The
//! HPA's resource metrics read the latest record, so what it sees is up to one resolution old
//! and averaged over one resolution.

use crate::world::{PodState, World};

/// One pod's latest resource sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PodUsage {
    /// Average cores over the window.
    pub cpu_cores: f64,
    /// Bytes in use at the scrape.
    pub memory_bytes: f64,
    /// Scrape instant (the sample's timestamp).
    pub timestamp: f64,
    /// Length of the averaging window.
    pub window: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct MetricsServer {
    pub resolution: f64,
    /// Latest sample per pod id (`None` before the pod's first full window).
    samples: Vec<Option<PodUsage>>,
}

impl MetricsServer {
    pub(crate) fn new(resolution: f64) -> Self {
        MetricsServer {
            resolution,
            samples: Vec::new(),
        }
    }

    /// Scrape every running pod at `now`.
    pub(crate) fn scrape(&mut self, now: f64, world: &mut World) {
        let pods = world.pods().len();
        if self.samples.len() < pods {
            self.samples.resize(pods, None);
        }
        for id in 0..pods {
            let state = world.pods().get(id as u32).state;
            if matches!(state, PodState::Pending | PodState::Gone) {
                self.samples[id] = None;
                continue;
            }
            let scrape = world.scrape_pod(id as u32, now);
            let memory = world.memory_bytes(id as u32);
            let window = now - scrape.last_at;
            if window > 0.0 {
                // A pod's first sample comes one full window after its container started.
                let first = scrape.running_at.is_some_and(|r| scrape.last_at <= r);
                let full = !first || window >= self.resolution - 1e-9;
                if full {
                    self.samples[id] = Some(PodUsage {
                        cpu_cores: (scrape.cpu_seconds - scrape.cpu_at_last) / window,
                        memory_bytes: memory,
                        timestamp: now,
                        window,
                    });
                }
            }
        }
    }

    /// The latest sample of a pod, if it has one.
    pub(crate) fn sample(&self, pod: u32) -> Option<PodUsage> {
        self.samples.get(pod as usize).copied().flatten()
    }
}

impl MetricsServer {
    /// Give pods that were running before the run a sample as if the run's initial load had
    /// been flowing for a while (`cores` per pod), so controllers at t = 0 see a steady state
    /// rather than a gap.
    pub(crate) fn prime(&mut self, now: f64, world: &World, cores: f64) {
        self.samples.resize(world.pods().len(), None);
        for p in world
            .pods()
            .iter()
            .filter(|p| p.running_at.is_some_and(|r| r < now))
        {
            self.samples[p.id as usize] = Some(PodUsage {
                cpu_cores: cores,
                memory_bytes: world.memory_bytes(p.id),
                timestamp: now,
                window: self.resolution,
            });
        }
    }
}
