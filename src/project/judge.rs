//! The effective status of a run, judged beside the status it wrote:
//! - an active status (PENDING .. EVALUATING, PAUSED) whose pid is dead on this host is
//!   FAILED ("process exited without finishing"); a live pid whose process started after the
//!   status file was last written is a reused pid, so also dead for us;
//! - an active status with no pid (a CLI run) and no write anywhere in the run folder for
//!   10 minutes is STALE, with the age (PAUSED runs are exempt: pausing writes nothing);
//! - old-app runs (no train_status.json) are COMPLETED when predictions.csv exists;
//! - a train_status.json that cannot be read (empty, not JSON) gives UNKNOWN with the error.

use super::procinfo::PidState;
use crate::formats::config::{RunState, TrainStatus};
use serde::{Deserialize, Serialize};

/// How long an active run may go without writing before it is STALE.
pub const STALE_AFTER_S: f64 = 600.0;
/// Clock slack when comparing a process start time with a file time.
const START_SLACK_S: f64 = 2.0;

/// A written state, or one of the judgements posedeck adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EffectiveStatus {
    Pending,
    Starting,
    Started,
    Training,
    Evaluating,
    Completed,
    Failed,
    Canceled,
    Paused,
    /// Active but nothing written for [`STALE_AFTER_S`].
    Stale,
    /// No status file and no sign of being done.
    Unknown,
}

impl From<RunState> for EffectiveStatus {
    fn from(s: RunState) -> Self {
        match s {
            RunState::Pending => Self::Pending,
            RunState::Starting => Self::Starting,
            RunState::Started => Self::Started,
            RunState::Training => Self::Training,
            RunState::Evaluating => Self::Evaluating,
            RunState::Completed => Self::Completed,
            RunState::Failed => Self::Failed,
            RunState::Canceled => Self::Canceled,
            RunState::Paused => Self::Paused,
        }
    }
}

impl EffectiveStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Starting => "STARTING",
            Self::Started => "STARTED",
            Self::Training => "TRAINING",
            Self::Evaluating => "EVALUATING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::Canceled => "CANCELED",
            Self::Paused => "PAUSED",
            Self::Stale => "STALE",
            Self::Unknown => "UNKNOWN",
        }
    }
}

impl std::fmt::Display for EffectiveStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The judgement with its reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    pub effective_status: EffectiveStatus,
    /// Why the effective status differs from the written one (or how it was inferred).
    pub effective_reason: Option<String>,
    /// Seconds since the last write in the run folder, when it was looked at.
    pub idle_s: Option<f64>,
}

/// What the judge needs to know about a run; the folder walk is lazy.
pub struct Evidence<'a> {
    pub written: Option<&'a TrainStatus>,
    /// Unix seconds of train_status.json's last modification.
    pub status_mtime: Option<f64>,
    pub has_predictions: bool,
    /// train_status.json exists but could not be read: the error (also on the run).
    pub status_error: Option<&'a str>,
    /// The host named by the newest events file, when it is not this host (shown in reasons).
    pub foreign_host: Option<String>,
    pub now: f64,
    pub pid_state: &'a dyn Fn(i64) -> PidState,
    /// Unix seconds of the newest write anywhere in the run folder.
    pub newest_write: &'a dyn Fn() -> Option<f64>,
}

/// "3 min", "2 h 5 min", "4 d 2 h".
pub fn format_age(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        3600..=86399 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} d {} h", s / 86400, (s % 86400) / 3600),
    }
}

pub fn judge(ev: &Evidence) -> Judgement {
    let Some(written) = ev.written else {
        return judge_unwritten(ev);
    };
    let state = written.status;
    let keep = |reason: Option<String>, idle_s| Judgement {
        effective_status: state.into(),
        effective_reason: reason,
        idle_s,
    };
    if !state.is_active() {
        return keep(None, None);
    }
    if let Some(pid) = written.pid {
        // The app runs training on its own host; an events file naming another host is
        // worth saying, but the pid is still judged here, as the app does.
        let note = ev
            .foreign_host
            .as_ref()
            .map(|h| format!("; the events file was written on host {h}"))
            .unwrap_or_default();
        return match (ev.pid_state)(pid) {
            PidState::Dead | PidState::Zombie => Judgement {
                effective_status: EffectiveStatus::Failed,
                effective_reason: Some(format!(
                    "process exited without finishing (pid {pid} is not running on this host{note})"
                )),
                idle_s: None,
            },
            PidState::Alive {
                started: Some(started),
            } if ev.status_mtime.is_some_and(|m| started > m + START_SLACK_S) => Judgement {
                effective_status: EffectiveStatus::Failed,
                effective_reason: Some(format!(
                    "process exited without finishing (pid {pid} now belongs to a process started after the status was written{note})"
                )),
                idle_s: None,
            },
            PidState::Alive { .. } => keep(None, None),
            PidState::Unknown => judge_by_age(ev, state, Some("no /proc on this host".into())),
        };
    }
    if state == RunState::Paused {
        return keep(None, None);
    }
    judge_by_age(ev, state, None)
}

fn judge_by_age(ev: &Evidence, state: RunState, why: Option<String>) -> Judgement {
    let newest = (ev.newest_write)().or(ev.status_mtime);
    let idle = newest.map(|t| (ev.now - t).max(0.0));
    match idle {
        Some(idle) if idle >= STALE_AFTER_S && state != RunState::Paused => {
            let mut reason = format!(
                "{state} but nothing written in the run folder for {}",
                format_age(idle)
            );
            if let Some(w) = why {
                reason = format!("{reason}; {w}");
            }
            Judgement {
                effective_status: EffectiveStatus::Stale,
                effective_reason: Some(reason),
                idle_s: Some(idle),
            }
        }
        _ => Judgement {
            effective_status: state.into(),
            effective_reason: why,
            idle_s: idle,
        },
    }
}

fn judge_unwritten(ev: &Evidence) -> Judgement {
    // An unreadable status file says nothing about the run: predictions.csv beside it may
    // be from an earlier run of the same folder.
    if let Some(e) = ev.status_error {
        return Judgement {
            effective_status: EffectiveStatus::Unknown,
            effective_reason: Some(format!("train_status.json could not be read: {e}")),
            idle_s: None,
        };
    }
    if ev.has_predictions {
        return Judgement {
            effective_status: EffectiveStatus::Completed,
            effective_reason: Some("predictions.csv exists".into()),
            idle_s: None,
        };
    }
    let idle = (ev.newest_write)().map(|t| (ev.now - t).max(0.0));
    match idle {
        Some(idle) if idle < STALE_AFTER_S => Judgement {
            effective_status: EffectiveStatus::Training,
            effective_reason: Some(format!(
                "no train_status.json and no predictions.csv; last write {} ago",
                format_age(idle)
            )),
            idle_s: Some(idle),
        },
        _ => Judgement {
            effective_status: EffectiveStatus::Unknown,
            effective_reason: Some(match idle {
                Some(idle) => format!(
                    "no train_status.json and no predictions.csv; last write {} ago",
                    format_age(idle)
                ),
                None => "no train_status.json and no predictions.csv".into(),
            }),
            idle_s: idle,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::config::TrainStatus;

    fn ev<'a>(
        written: Option<&'a TrainStatus>,
        pid: &'a dyn Fn(i64) -> PidState,
        newest: &'a dyn Fn() -> Option<f64>,
    ) -> Evidence<'a> {
        Evidence {
            written,
            status_mtime: Some(10_000.0),
            has_predictions: false,
            status_error: None,
            foreign_host: None,
            now: 10_100.0,
            pid_state: pid,
            newest_write: newest,
        }
    }

    fn status(s: RunState, pid: Option<i64>) -> TrainStatus {
        TrainStatus {
            status: s,
            pid,
            progress: None,
        }
    }

    #[test]
    fn dead_pid_is_failed() {
        let t = status(RunState::Training, Some(5));
        let j = judge(&ev(Some(&t), &|_| PidState::Dead, &|| None));
        assert_eq!(j.effective_status, EffectiveStatus::Failed);
        assert!(
            j.effective_reason
                .unwrap()
                .contains("exited without finishing")
        );
    }

    #[test]
    fn reused_pid_is_failed_live_one_is_kept() {
        let t = status(RunState::Started, Some(5));
        let later = |_| PidState::Alive {
            started: Some(10_050.0),
        };
        let j = judge(&ev(Some(&t), &later, &|| None));
        assert_eq!(j.effective_status, EffectiveStatus::Failed);
        let earlier = |_| PidState::Alive {
            started: Some(9_000.0),
        };
        let j = judge(&ev(Some(&t), &earlier, &|| None));
        assert_eq!(j.effective_status, EffectiveStatus::Started);
        assert_eq!(j.effective_reason, None);
    }

    #[test]
    fn no_pid_old_write_is_stale() {
        let t = status(RunState::Training, None);
        let mut e = ev(Some(&t), &|_| PidState::Dead, &|| Some(9_000.0));
        e.now = 10_000.0;
        let j = judge(&e);
        assert_eq!(j.effective_status, EffectiveStatus::Stale);
        assert!(j.effective_reason.unwrap().contains("16 min"));
        let fresh = |_: i64| PidState::Dead;
        let j = judge(&ev(Some(&t), &fresh, &|| Some(10_050.0)));
        assert_eq!(j.effective_status, EffectiveStatus::Training);
    }

    #[test]
    fn done_states_are_kept_and_old_app_uses_predictions() {
        let t = status(RunState::Completed, Some(5));
        let j = judge(&ev(Some(&t), &|_| PidState::Dead, &|| None));
        assert_eq!(j.effective_status, EffectiveStatus::Completed);
        let mut e = ev(None, &|_| PidState::Dead, &|| Some(0.0));
        e.has_predictions = true;
        assert_eq!(judge(&e).effective_status, EffectiveStatus::Completed);
        e.has_predictions = false;
        assert_eq!(judge(&e).effective_status, EffectiveStatus::Unknown);
    }

    #[test]
    fn paused_without_pid_is_not_stale() {
        let t = status(RunState::Paused, None);
        let j = judge(&ev(Some(&t), &|_| PidState::Dead, &|| Some(0.0)));
        assert_eq!(j.effective_status, EffectiveStatus::Paused);
    }
}
