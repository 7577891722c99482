//! The SLEAP-style Labels model and its operations.
