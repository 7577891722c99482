//! The terminal: raw mode + alternate screen, restored on every way out: normal exit, panic,
//! every catchable signal whose default would end the process (forwarded to the event loop,
//! which quits cleanly), and the crash signals (SIGABRT from a failed allocation, SIGBUS,
//! SIGSEGV, SIGILL, SIGFPE: an async-signal-safe handler writes the restoring bytes and the
//! saved terminal modes back, then lets the signal do what it does). Restoring is idempotent
//! and ignores a terminal that is gone.

use crossterm::{
    cursor,
    event::{DisableMouseCapture, EnableMouseCapture},
    execute,
    terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode},
};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Enters raw mode and the alternate screen; the guard restores on drop.
pub struct Guard(());

impl Guard {
    pub fn enter(mouse: bool) -> std::io::Result<Guard> {
        install_panic_hook();
        install_crash_restore();
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let mut out = std::io::stdout();
        execute!(out, EnterAlternateScreen, cursor::Hide)?;
        if mouse {
            execute!(out, EnableMouseCapture)?;
        }
        Ok(Guard(()))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves the alternate screen, shows the cursor and turns raw mode off (once).
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = std::io::stdout();
        let _ = execute!(out, DisableMouseCapture, LeaveAlternateScreen, cursor::Show);
        let _ = disable_raw_mode();
        let _ = out.flush();
    }
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            prev(info);
        }));
    });
}

/// The catchable signals whose default action ends the process (SIGPIPE aside: Rust ignores
/// it and a write error says it instead).
pub const QUIT_SIGNALS: [i32; 13] = [
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGALRM,
    libc::SIGVTALRM,
    libc::SIGPROF,
    libc::SIGXCPU,
    libc::SIGXFSZ,
    libc::SIGPWR,
    libc::SIGIO,
];

/// Forwards [`QUIT_SIGNALS`] to `send` from a background thread.
pub fn forward_signals(send: impl Fn(i32) + Send + 'static) -> std::io::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new(QUIT_SIGNALS)?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for s in signals.forever() {
                send(s);
            }
        })?;
    Ok(())
}

/// The terminal modes before raw mode, for the crash handler (written once, before it is
/// installed; read only inside it).
static mut SAVED_TERMIOS: Option<libc::termios> = None;

/// What `restore` writes: mouse off, alternate screen left, cursor shown.
const RESTORE_BYTES: &[u8] = b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1049l\x1b[?25h";

extern "C" fn crash_restore(sig: libc::c_int) {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        // SAFETY: write, tcsetattr, signal and raise are async-signal-safe; SAVED_TERMIOS is
        // written before this handler is installed and never again.
        unsafe {
            libc::write(1, RESTORE_BYTES.as_ptr().cast(), RESTORE_BYTES.len());
            #[allow(static_mut_refs)]
            if let Some(t) = SAVED_TERMIOS.as_ref() {
                libc::tcsetattr(0, libc::TCSANOW, t);
            }
        }
    }
    // SAFETY: back to the default action, then the same signal again: the process ends as it
    // would have (core dump, exit status), with the terminal usable.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

fn install_crash_restore() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: tcgetattr fills the struct; sigaction installs a handler that only makes
        // async-signal-safe calls. This runs once, before any handler can read the static.
        unsafe {
            let mut t = std::mem::zeroed::<libc::termios>();
            if libc::tcgetattr(0, &mut t) == 0 {
                SAVED_TERMIOS = Some(t);
            }
            for sig in [
                libc::SIGABRT,
                libc::SIGBUS,
                libc::SIGSEGV,
                libc::SIGILL,
                libc::SIGFPE,
            ] {
                let mut sa = std::mem::zeroed::<libc::sigaction>();
                sa.sa_sigaction = crash_restore as *const () as usize;
                sa.sa_flags = libc::SA_RESETHAND | libc::SA_ONSTACK;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(sig, &sa, std::ptr::null_mut());
            }
        }
    });
}
