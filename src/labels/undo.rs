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
}

impl<T> Default for UndoStack<T> {
    fn default() -> Self {
        UndoStack {
            done: Vec::new(),
            undone: Vec::new(),
            saved: Some(0),
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
}
