//! How long each stage of a build took. The library measures ([`Timings::lap`] at the end of
//! each stage of `crate::build` and `Site::load_editions`); the binary prints them (`bilat build
//! --timings`) and the bench reads them. Owns the closed list of stages, not what a stage does.

use std::time::{Duration, Instant};

/// A stage of a build, in the order a build runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// site.yaml.
    Config,
    /// Every file under content/ read, split and its front matter parsed.
    Read,
    /// sources.yaml, people.yaml and the other registries, and the assets.
    Registries,
    /// The lookup tables by path and id.
    Index,
    /// The other languages' editions made from their translations.
    Editions,
    /// Names, references and quotes checked.
    Check,
    /// Every page's Markdown turned into HTML (and checked).
    Markdown,
    /// Views and templates made ready to render.
    Prepare,
    /// Every page rendered, minified and staged.
    Render,
    /// Social cards drawn.
    Cards,
    /// Image variants encoded.
    Images,
    /// Static files and assets copied, the staged output moved into place and the render cache
    /// saved.
    Finish,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Config => "config",
            Stage::Read => "read",
            Stage::Registries => "registries",
            Stage::Index => "index",
            Stage::Editions => "editions",
            Stage::Check => "check",
            Stage::Markdown => "markdown",
            Stage::Prepare => "prepare",
            Stage::Render => "render",
            Stage::Cards => "cards",
            Stage::Images => "images",
            Stage::Finish => "finish",
        }
    }
}

/// One stage's time, and the memory the process held when it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lap {
    pub stage: Stage,
    pub took: Duration,
    /// Resident memory in bytes when the stage (last) ended; `None` where the system does not
    /// say (read from /proc on Linux).
    pub resident: Option<u64>,
}

/// The time each stage took, in the order they first ran; a stage run once per edition adds up.
#[derive(Debug, Clone)]
pub struct Timings {
    pub stages: Vec<Lap>,
    since: Instant,
}

impl Timings {
    pub fn start() -> Timings {
        Timings {
            stages: Vec::new(),
            since: Instant::now(),
        }
    }

    /// Ends `stage`: the time since the previous lap (or the start) is its.
    pub fn lap(&mut self, stage: Stage) {
        let now = Instant::now();
        let took = now - self.since;
        let resident = resident();
        match self.stages.iter_mut().find(|l| l.stage == stage) {
            Some(l) => {
                l.took += took;
                l.resident = resident;
            }
            None => self.stages.push(Lap {
                stage,
                took,
                resident,
            }),
        }
        // Reading the memory is not the next stage's time.
        self.since = Instant::now();
    }

    /// The sum of the stages.
    pub fn total(&self) -> Duration {
        self.stages.iter().map(|l| l.took).sum()
    }
}

/// The process's resident memory: `VmRSS` of /proc/self/status.
fn resident() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    let kb: u64 = kb.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laps_add_up_per_stage_in_the_order_stages_first_ran() {
        let mut t = Timings::start();
        t.lap(Stage::Read);
        std::thread::sleep(Duration::from_millis(5));
        t.lap(Stage::Render);
        std::thread::sleep(Duration::from_millis(5));
        t.lap(Stage::Read);
        let order: Vec<Stage> = t.stages.iter().map(|l| l.stage).collect();
        assert_eq!(order, [Stage::Read, Stage::Render]);
        assert!(t.stages[0].took >= Duration::from_millis(5));
        assert!(t.stages[1].took >= Duration::from_millis(5));
        assert_eq!(t.total(), t.stages[0].took + t.stages[1].took);
        if cfg!(target_os = "linux") {
            // A test process holds at least its own code and stack.
            assert!(t.stages.iter().all(|l| l.resident > Some(1 << 20)), "{t:?}");
        }
    }
}
