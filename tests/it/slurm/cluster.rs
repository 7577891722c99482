//! A real single-node SLURM cluster in a temporary folder, shared by the SLURM tests: munged
//! with its own key and socket (as the munge user), slurmctld -D and slurmd -D as children
//! with `SLURM_CONF` pointing at the folder's slurm.conf. Started once (OnceLock); stopped at
//! exit (atexit, and PR_SET_PDEATHSIG from a thread that lives as long as the process).

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub struct Cluster {
    pub conf: PathBuf,
    pub node: String,
    /// The cluster's folder (config, state, logs).
    pub dir: PathBuf,
    /// munged, slurmctld and slurmd.
    pids: Vec<i32>,
}

impl Cluster {
    /// posedeck pointed at this cluster.
    pub fn posedeck(&self) -> Command {
        let mut c = crate::common::posedeck();
        c.env("SLURM_CONF", &self.conf);
        c
    }
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static PIDS: Mutex<Vec<i32>> = Mutex::new(Vec::new());
static DIR: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The cluster, or `None` after printing `SKIP: why`.
pub fn cluster() -> Option<&'static Cluster> {
    match CLUSTER.get_or_init(start) {
        Ok(c) => Some(c),
        Err(why) => {
            eprintln!("SKIP: no SLURM cluster: {why}");
            None
        }
    }
}

macro_rules! cluster_or_skip {
    () => {
        match crate::slurm::cluster::cluster() {
            Some(c) => c,
            None => return,
        }
    };
}
pub(crate) use cluster_or_skip;

fn have(p: &str) -> bool {
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .iter()
        .any(|d| Path::new(d).join(p).is_file())
}

extern "C" fn stop_all() {
    // The jobs first (their slurmstepd outlive slurmd otherwise), then the daemons.
    if let Some(dir) = DIR.lock().ok().and_then(|d| d.clone()) {
        let _ = Command::new("scancel")
            .args(["--me", "--full"])
            .env("SLURM_CONF", dir.join("slurm.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        std::thread::sleep(Duration::from_millis(300));
    }
    if let Ok(pids) = PIDS.lock() {
        for &p in pids.iter().rev() {
            // SAFETY: signals to the daemons this process started.
            unsafe { libc::kill(p, libc::SIGTERM) };
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    if let Some(dir) = DIR.lock().ok().and_then(|d| d.clone()) {
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn start() -> Result<Cluster, String> {
    let port = 20000 + (std::process::id() % 20000) as u16 * 2;
    let c = boot(port)?;
    *DIR.lock().unwrap() = Some(c.dir.clone());
    // SAFETY: registering a plain extern "C" function.
    unsafe { libc::atexit(stop_all) };
    Ok(c)
}

/// A cluster of its own for a test that stops its daemons (the shared one must stay up);
/// stopped and removed when dropped.
pub struct Private(pub Cluster);

impl Private {
    /// Stops the controller (SIGKILL, as a crash would) and waits until it is gone.
    pub fn kill_controller(&self) {
        self.kill_daemon(1);
    }

    /// Stops the node's slurmd (SIGKILL, as a lost node would) and waits until it is gone.
    pub fn kill_slurmd(&self) {
        self.kill_daemon(2);
    }

    /// SIGKILL to daemon `i` (munged, slurmctld, slurmd), then waits until it is gone.
    fn kill_daemon(&self, i: usize) {
        let pid = self.0.pids[i];
        // SAFETY: a signal to a daemon this test started.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        let t0 = Instant::now();
        while Path::new(&format!("/proc/{pid}/status")).exists()
            && std::fs::read_to_string(format!("/proc/{pid}/status"))
                .is_ok_and(|s| !s.contains("State:\tZ"))
            && t0.elapsed() < Duration::from_secs(5)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Private {
    fn drop(&mut self) {
        let _ = Command::new("scancel")
            .args(["--me", "--full"])
            .env("SLURM_CONF", &self.0.conf)
            .env("POSEDECK_SLURM_TIMEOUT", "2")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        for &p in self.0.pids.iter().rev() {
            // SAFETY: signals to the daemons this test started.
            unsafe { libc::kill(p, libc::SIGTERM) };
        }
        std::thread::sleep(Duration::from_millis(300));
        let _ = std::fs::remove_dir_all(&self.0.dir);
    }
}

/// A new cluster of its own, or `None` after printing `SKIP: why`.
pub fn private() -> Option<Private> {
    static N: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(1);
    let k = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let port = 20000 + ((std::process::id() as u16 % 10000).wrapping_add(k * 2503) % 20000) * 2;
    match boot(port) {
        Ok(c) => Some(Private(c)),
        Err(why) => {
            eprintln!("SKIP: no SLURM cluster: {why}");
            None
        }
    }
}

fn boot(port: u16) -> Result<Cluster, String> {
    for p in [
        "munged",
        "slurmctld",
        "slurmd",
        "sbatch",
        "squeue",
        "scancel",
    ] {
        if !have(p) {
            return Err(format!(
                "{p} is not installed (apt-get install slurm-wlm munge)"
            ));
        }
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("the daemons need root (SlurmUser=root)".into());
    }
    let (muid, mgid) = user_ids("munge").ok_or("no munge user")?;
    let dir = tempfile::Builder::new()
        .prefix("posedeck-slurm-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let m = dir.join("munge");
    for d in ["", "etc", "run", "lib", "log"] {
        std::fs::create_dir_all(m.join(d)).unwrap();
    }
    let mut key = vec![0u8; 1024];
    let f = std::fs::File::open("/dev/urandom").map_err(|e| e.to_string())?;
    std::io::Read::read_exact(&mut &f, &mut key).map_err(|e| e.to_string())?;
    std::fs::write(m.join("etc/munge.key"), &key).unwrap();
    for (p, mode) in [
        ("", 0o755),
        ("etc", 0o700),
        ("run", 0o755),
        ("lib", 0o700),
        ("log", 0o700),
        ("etc/munge.key", 0o400),
    ] {
        let path = m.join(p);
        std::os::unix::fs::chown(&path, Some(muid), Some(mgid)).map_err(|e| e.to_string())?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let socket = m.join("run/munge.socket");
    let node = slurmd_c()?;
    let name = node
        .split_whitespace()
        .next()
        .and_then(|w| w.strip_prefix("NodeName="))
        .ok_or_else(|| format!("slurmd -C: {node}"))?
        .to_owned();
    for i in 0..2 {
        let dev = dir.join(format!("nvidia{i}"));
        let c = std::ffi::CString::new(dev.to_str().unwrap()).unwrap();
        // SAFETY: mknod on a path in our own temporary folder.
        let rc = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(195, i)) };
        if rc != 0 {
            return Err(format!(
                "mknod {}: {}",
                dev.display(),
                std::io::Error::last_os_error()
            ));
        }
    }
    for d in ["state", "spool", "log"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    let d = dir.display();
    let conf = format!(
        "ClusterName=posedeck\nSlurmctldHost={name}\nSlurmUser=root\nSlurmdUser=root\n\
         AuthType=auth/munge\nCredType=cred/munge\nAuthInfo=socket={sock}\n\
         SlurmctldPort={port}\nSlurmdPort={p2}\nStateSaveLocation={d}/state\n\
         SlurmdSpoolDir={d}/spool\nSlurmctldPidFile={d}/slurmctld.pid\n\
         SlurmdPidFile={d}/slurmd.pid\nSlurmctldLogFile={d}/log/slurmctld.log\n\
         SlurmdLogFile={d}/log/slurmd.log\nProctrackType=proctrack/linuxproc\n\
         TaskPlugin=task/none\nJobAcctGatherType=jobacct_gather/none\n\
         AccountingStorageType=accounting_storage/none\nJobCompType=jobcomp/none\n\
         SelectType=select/cons_tres\nSelectTypeParameters=CR_Core\nGresTypes=gpu\n\
         SchedulerParameters=batch_sched_delay=0\nMinJobAge=300\nKillWait=5\n\
         ReturnToService=2\nMpiDefault=none\nSlurmdTimeout=30\n\
         {node} Gres=gpu:2 State=UNKNOWN\n\
         PartitionName=debug Nodes={name} Default=YES MaxTime=INFINITE State=UP\n",
        sock = socket.display(),
        p2 = port + 1,
    );
    let conf_path = dir.join("slurm.conf");
    std::fs::write(&conf_path, conf).unwrap();
    std::fs::write(
        dir.join("gres.conf"),
        format!("NodeName={name} Name=gpu File={d}/nvidia[0-1]\n"),
    )
    .unwrap();
    // The daemons are children of a thread that never ends: PR_SET_PDEATHSIG fires when the
    // spawning thread exits, so they die with the test process even without atexit.
    let (tx, rx) = std::sync::mpsc::channel();
    let (m2, dir2, conf2) = (m.clone(), dir.clone(), conf_path.clone());
    std::thread::spawn(move || {
        let r = spawn_daemons(&m2, &dir2, &conf2, muid, mgid);
        let _ = tx.send(r);
        loop {
            std::thread::park();
        }
    });
    let pids = rx.recv().map_err(|e| e.to_string())??;
    let t0 = Instant::now();
    loop {
        let out = Command::new("sinfo")
            .args(["-h", "-N", "-o", "%T"])
            .env("SLURM_CONF", &conf_path)
            .output()
            .map_err(|e| e.to_string())?;
        let s = String::from_utf8_lossy(&out.stdout);
        if s.trim() == "idle" {
            break;
        }
        if t0.elapsed() > Duration::from_secs(30) {
            let log = std::fs::read_to_string(dir.join("log/slurmctld.log")).unwrap_or_default();
            return Err(format!("the node is not idle after 30 s ({s:?}): {log}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "slurm: cluster up in {:.1} s at {}",
        t0.elapsed().as_secs_f64(),
        dir.display()
    );
    Ok(Cluster {
        conf: conf_path,
        node: name,
        dir,
        pids,
    })
}

/// Starts munged, slurmctld and slurmd; their pids in that order.
fn spawn_daemons(
    m: &Path,
    dir: &Path,
    conf: &Path,
    muid: u32,
    mgid: u32,
) -> Result<Vec<i32>, String> {
    let mut started = Vec::new();
    let pdeath = || {
        // SAFETY: prctl in the child before exec; async-signal-safe.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) };
        Ok(())
    };
    let mut munged = Command::new("/usr/sbin/munged");
    munged
        .arg("-F")
        .arg("--force")
        .arg(format!("--key-file={}", m.join("etc/munge.key").display()))
        .arg(format!("--socket={}", m.join("run/munge.socket").display()))
        .arg(format!("--pid-file={}", m.join("run/munged.pid").display()))
        .arg(format!("--log-file={}", m.join("log/munged.log").display()))
        .arg(format!(
            "--seed-file={}",
            m.join("lib/munged.seed").display()
        ))
        .uid(muid)
        .gid(mgid)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: the closure only calls prctl.
    unsafe { munged.pre_exec(pdeath) };
    let c = munged.spawn().map_err(|e| format!("munged: {e}"))?;
    PIDS.lock().unwrap().push(c.id() as i32);
    started.push(c.id() as i32);
    let t0 = Instant::now();
    while !m.join("run/munge.socket").exists() {
        if t0.elapsed() > Duration::from_secs(10) {
            return Err("munged made no socket in 10 s".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    for (prog, args) in [
        ("/usr/sbin/slurmctld", vec!["-D", "-i"]),
        ("/usr/sbin/slurmd", vec!["-D"]),
    ] {
        let log = std::fs::File::create(dir.join(format!(
            "log/{}.out",
            Path::new(prog).file_name().unwrap().to_string_lossy()
        )))
        .unwrap();
        let mut c = Command::new(prog);
        c.args(&args)
            .env("SLURM_CONF", conf)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        // SAFETY: the closure only calls prctl.
        unsafe { c.pre_exec(pdeath) };
        let child = c.spawn().map_err(|e| format!("{prog}: {e}"))?;
        PIDS.lock().unwrap().push(child.id() as i32);
        started.push(child.id() as i32);
        std::mem::forget(child);
    }
    std::mem::forget(c);
    Ok(started)
}

/// `slurmd -C`'s NodeName line: this machine's real CPUs and memory.
fn slurmd_c() -> Result<String, String> {
    let out = Command::new("/usr/sbin/slurmd")
        .arg("-C")
        .output()
        .map_err(|e| format!("slurmd -C: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.starts_with("NodeName="))
        .map(str::to_owned)
        .ok_or_else(|| "slurmd -C printed no NodeName line".into())
}

fn user_ids(name: &str) -> Option<(u32, u32)> {
    let text = std::fs::read_to_string("/etc/passwd").ok()?;
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.first() == Some(&name) && f.len() > 3)
            .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
            .flatten()
    })
}
