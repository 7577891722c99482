//! An undo/redo stack of edits that remembers where the last write was, so "unwritten edits"
//! is exact: undoing back to the written state clears it, and a new edit after undoing past
//! it makes the written state unreachable.

/// Edits done (undo pops these) and undone (redo pops these).
#[derive(Clone, Debug)]
pub struct UndoStack<T> {
    done: Vec<T>,
    undone: Vec<T>,
    /// `done.len()` when the document equalled the file; `None` when no sequence of undo and
    /// redo leads back there.
    saved: Option<usize>,
    /// Since the last [`UndoStack::checkpoint`]: the lowest `done.len()` a new edit was pushed
    /// at (the edits below it are the ones the checkpoint saw).
    pushed_at: Option<usize>,
}

/// Where the stack stood when a snapshot of the document was taken for a write that runs
/// while editing goes on ([`UndoStack::checkpoint`], [`UndoStack::mark_saved_at`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    len: usize,
}

impl<T> Default for UndoStack<T> {
    fn default() -> Self {
        UndoStack {
            done: Vec::new(),
            undone: Vec::new(),
            saved: Some(0),
            pushed_at: None,
        }
    }
}

impl<T: Clone> UndoStack<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an edit that was just applied (the redo list is dropped).
    pub fn push(&mut self, edit: T) {
        if self.saved.is_some_and(|s| s > self.done.len()) {
            self.saved = None;
        }
        let at = self.done.len();
        self.pushed_at = Some(self.pushed_at.map_or(at, |p| p.min(at)));
        self.done.push(edit);
        self.undone.clear();
    }

    /// The edit to apply backwards, moved to the redo list.
    pub fn undo(&mut self) -> Option<T> {
        let e = self.done.pop()?;
        self.undone.push(e.clone());
        Some(e)
    }

    /// The edit to apply forwards again, moved back to the undo list.
    pub fn redo(&mut self) -> Option<T> {
        let e = self.undone.pop()?;
        self.done.push(e.clone());
        Some(e)
    }

    /// Whether the document differs from what was last written (or read).
    pub fn dirty(&self) -> bool {
        self.saved != Some(self.done.len())
    }

    /// The document was just written: this is the clean state.
    pub fn mark_saved(&mut self) {
        self.saved = Some(self.done.len());
    }

    /// The state now is about to be written (a snapshot taken); edits, undo and redo go on.
    pub fn checkpoint(&mut self) -> Checkpoint {
        self.pushed_at = None;
        Checkpoint {
            len: self.done.len(),
        }
    }

    /// Whether an edit, undo or redo happened since `c` (the state differs from the snapshot).
    pub fn changed_since(&self, c: Checkpoint) -> bool {
        self.pushed_at.is_some() || self.done.len() != c.len
    }

    /// The snapshot taken at `c` was written: that state is the clean one, reachable by undo
    /// and redo unless an edit since then replaced part of the history it was made of.
    pub fn mark_saved_at(&mut self, c: Checkpoint) {
        self.saved = match self.pushed_at {
            Some(p) if p < c.len => None,
            _ => Some(c.len),
        };
    }

    pub fn can_undo(&self) -> bool {
        !self.done.is_empty()
    }
    pub fn can_redo(&self) -> bool {
        !self.undone.is_empty()
    }
    /// How many undone edits redo can bring back.
    pub fn redo_len(&self) -> usize {
        self.undone.len()
    }
    pub fn len(&self) -> usize {
        self.done.len()
    }
    pub fn is_empty(&self) -> bool {
        self.done.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::UndoStack;

    #[test]
    fn undo_redo_and_the_written_state() {
        let mut s = UndoStack::new();
        assert!(!s.dirty());
        assert_eq!(s.undo(), None);
        s.push(1);
        s.push(2);
        assert!(s.dirty());
        assert_eq!(s.undo(), Some(2));
        assert_eq!(s.undo(), Some(1));
        assert!(!s.dirty(), "undone back to the file as read");
        assert_eq!(s.undo(), None);
        assert_eq!(s.redo(), Some(1));
        assert_eq!(s.redo(), Some(2));
        assert_eq!(s.redo(), None);
        s.mark_saved();
        assert!(!s.dirty());
        assert_eq!(s.undo(), Some(2));
        assert!(s.dirty());
        assert_eq!(s.redo(), Some(2));
        assert!(!s.dirty());
        // A new edit drops the redo list.
        s.undo();
        s.push(3);
        assert!(!s.can_redo());
        assert!(s.dirty());
        // The written state (after 2) cannot be reached again.
        s.undo();
        s.undo();
        assert!(s.dirty());
        assert_eq!(s.len(), 0);
    }

    #[test]
    fn a_write_of_a_snapshot_while_editing_goes_on() {
        let mut s = UndoStack::new();
        s.push(1);
        s.push(2);
        let c = s.checkpoint();
        // Edited while the write runs: still dirty once it lands; undo reaches the written.
        s.push(3);
        s.mark_saved_at(c);
        assert!(s.dirty());
        assert_eq!(s.undo(), Some(3));
        assert!(!s.dirty());
        // Undone below the snapshot and redone: the written state is still reachable.
        let c = s.checkpoint();
        s.undo();
        s.redo();
        s.mark_saved_at(c);
        assert!(!s.dirty());
        // Undone below it and a new edit pushed: unreachable.
        let c = s.checkpoint();
        s.undo();
        s.push(4);
        s.mark_saved_at(c);
        assert!(s.dirty());
        s.undo();
        assert!(s.dirty());
    }
}
