//! Server CPU time from `/proc`: a process and its descendants (`--pid`), or the
//! threads of this process that serve `--in-process` requests.

use std::collections::{BTreeMap, HashMap};
use std::fs;

/// `USER_HZ`: the unit of the times in `/proc/*/stat`. It is 100 on every Linux
/// architecture the kernel exports to user space.
const TICKS_PER_SECOND: f64 = 100.0;

/// Name given to the worker threads of the `--in-process` server runtime.
pub const SERVER_THREAD_NAME: &str = "bench-server";

/// Where CPU time is read from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A process and every live descendant (utime+stime+cutime+cstime each, so the
    /// time of children that exit during the run stays counted in their parent).
    Tree { pid: u32, label: String },
    /// The `--in-process` server: this process's threads named [`SERVER_THREAD_NAME`].
    ServerThreads,
    /// The load generator: this process minus the server threads.
    Client,
}

impl Source {
    pub fn tree(pid: u32) -> Self {
        let label = stat(&format!("/proc/{pid}/stat"))
            .map(|s| format!("{} (pid {pid})", s.comm))
            .unwrap_or_else(|| format!("pid {pid}"));
        Source::Tree { pid, label }
    }

    pub fn label(&self) -> String {
        match self {
            Source::Tree { label, .. } => label.clone(),
            Source::ServerThreads => "in-process server".to_string(),
            Source::Client => "bench client".to_string(),
        }
    }

    /// Ticks so far, in total and by process name (`comm`).
    pub fn sample(&self) -> Sample {
        match self {
            Source::Tree { pid, .. } => tree_sample(*pid),
            Source::ServerThreads => {
                let ticks = server_thread_ticks();
                Sample {
                    total: ticks,
                    by_name: BTreeMap::from([(SERVER_THREAD_NAME.to_string(), ticks)]),
                }
            }
            Source::Client => {
                let own = stat("/proc/self/stat")
                    .map(|s| s.utime + s.stime)
                    .unwrap_or(0);
                let ticks = own.saturating_sub(server_thread_ticks());
                Sample {
                    total: ticks,
                    by_name: BTreeMap::from([("bench".to_string(), ticks)]),
                }
            }
        }
    }

    pub fn available(&self) -> bool {
        match self {
            Source::Tree { pid, .. } => stat(&format!("/proc/{pid}/stat")).is_some(),
            _ => stat("/proc/self/stat").is_some(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Sample {
    pub total: u64,
    pub by_name: BTreeMap<String, u64>,
}

impl Sample {
    /// Milliseconds of CPU between `before` and `self`, in total and by process name.
    pub fn ms_since(&self, before: &Sample) -> (f64, BTreeMap<String, f64>) {
        let ms = |ticks: u64| ticks as f64 * 1000.0 / TICKS_PER_SECOND;
        let by_name = self
            .by_name
            .iter()
            .map(|(name, &after)| {
                let was = before.by_name.get(name).copied().unwrap_or(0);
                (name.clone(), ms(after.saturating_sub(was)))
            })
            .filter(|(_, v)| *v > 0.0)
            .collect();
        (ms(self.total.saturating_sub(before.total)), by_name)
    }
}

struct Stat {
    comm: String,
    ppid: u32,
    utime: u64,
    stime: u64,
    cutime: u64,
    cstime: u64,
}

fn stat(path: &str) -> Option<Stat> {
    parse_stat(&fs::read_to_string(path).ok()?)
}

/// Parses `/proc/PID/stat`; the name is in parentheses and may hold spaces.
fn parse_stat(text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_string();
    // Fields after the name, numbered from 3 (state) as in proc(5).
    let rest: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    let field = |n: usize| -> Option<u64> { rest.get(n - 3)?.parse().ok() };
    Some(Stat {
        comm,
        ppid: field(4)? as u32,
        utime: field(14)?,
        stime: field(15)?,
        cutime: field(16)?,
        cstime: field(17)?,
    })
}

fn tree_sample(root: u32) -> Sample {
    let mut all: HashMap<u32, Stat> = HashMap::new();
    if let Ok(dir) = fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(s) = stat(&format!("/proc/{pid}/stat")) {
                all.insert(pid, s);
            }
        }
    }
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (&pid, s) in &all {
        children.entry(s.ppid).or_default().push(pid);
    }
    let mut sample = Sample::default();
    let mut stack = vec![root];
    while let Some(pid) = stack.pop() {
        if let Some(s) = all.get(&pid) {
            let ticks = s.utime + s.stime + s.cutime + s.cstime;
            sample.total += ticks;
            *sample.by_name.entry(s.comm.clone()).or_default() += ticks;
        }
        if let Some(kids) = children.get(&pid) {
            stack.extend(kids);
        }
    }
    sample
}

fn server_thread_ticks() -> u64 {
    let Ok(dir) = fs::read_dir("/proc/self/task") else {
        return 0;
    };
    dir.flatten()
        .filter_map(|e| stat(&format!("{}/stat", e.path().display())))
        .filter(|s| s.comm == SERVER_THREAD_NAME)
        .map(|s| s.utime + s.stime)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_name_with_spaces_and_parentheses() {
        let line = "42 (my (odd) name) S 7 42 42 0 -1 4194560 100 0 0 0 15 6 3 2 20 0 1 0 100 0 0";
        let s = parse_stat(line).unwrap();
        assert_eq!(s.comm, "my (odd) name");
        assert_eq!(
            (s.ppid, s.utime, s.stime, s.cutime, s.cstime),
            (7, 15, 6, 3, 2)
        );
    }

    #[test]
    fn reads_its_own_process() {
        let s = stat("/proc/self/stat").unwrap();
        assert!(!s.comm.is_empty());
    }
}
