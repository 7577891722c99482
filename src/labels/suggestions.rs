//! Suggested frames: per-video lists and seeking to the next / previous suggestion.

use super::model::Suggestion;
use super::store::Labels;

/// Seek direction for [`Labels::get_next_suggestion`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seek {
    Forward,
    Backward,
}

impl Labels {
    /// Suggested frame indices of a video in frame order; with `user_labeled == false`,
    /// frames that already have user instances are left out.
    pub fn video_suggestions(&self, video: usize, user_labeled: bool) -> Vec<u64> {
        let Some(m) = self.index.suggested.get(video) else {
            return Vec::new();
        };
        m.keys()
            .copied()
            .filter(|&f| {
                user_labeled
                    || !self
                        .frame(video, f)
                        .is_some_and(|lf| lf.has_user_instances())
            })
            .collect()
    }

    /// The suggestion for a frame, in O(log n).
    pub fn find_suggestion(&self, video: usize, frame_idx: u64) -> Option<&Suggestion> {
        let pos = *self.index.suggested.get(video)?.get(&frame_idx)?;
        self.data.suggestions.get(pos)
    }

    /// Suggestions whose frame has no user instance yet.
    pub fn unlabeled_suggestions(&self) -> Vec<&Suggestion> {
        self.data
            .suggestions
            .iter()
            .filter(|s| {
                !self
                    .frame(s.video, s.frame_idx)
                    .is_some_and(|f| f.has_user_instances())
            })
            .collect()
    }

    /// The suggestion to go to from (video, frame_idx), as SLEAP's `get_next_suggestion`:
    /// when the frame is itself a suggestion, the next (previous) one in list order, wrapping;
    /// otherwise the nearest suggested frame after (before) it in the same video, else the
    /// first (last) suggestion of the following (preceding) videos, wrapping around.
    pub fn get_next_suggestion(
        &self,
        video: usize,
        frame_idx: u64,
        seek: Seek,
    ) -> Option<&Suggestion> {
        let n = self.data.suggestions.len();
        if n == 0 || video >= self.data.videos.len() {
            return None;
        }
        if let Some(&pos) = self
            .index
            .suggested
            .get(video)
            .and_then(|m| m.get(&frame_idx))
        {
            let next = match seek {
                Seek::Forward => (pos + 1) % n,
                Seek::Backward => (pos + n - 1) % n,
            };
            return self.data.suggestions.get(next);
        }
        let m = self.index.suggested.get(video)?;
        let here = match seek {
            Seek::Forward => m.range(frame_idx.saturating_add(1)..).next(),
            Seek::Backward => m.range(..frame_idx).next_back(),
        };
        if let Some((_, &pos)) = here {
            return self.data.suggestions.get(pos);
        }
        let nv = self.data.videos.len();
        for step in 1..=nv {
            let v = match seek {
                Seek::Forward => (video + step) % nv,
                Seek::Backward => (video + nv * step - step) % nv,
            };
            let m = self.index.suggested.get(v)?;
            let hit = match seek {
                Seek::Forward => m.iter().next(),
                Seek::Backward => m.iter().next_back(),
            };
            if let Some((_, &pos)) = hit {
                return self.data.suggestions.get(pos);
            }
        }
        None
    }
}
