//! The workstation: a live, keyboard-driven ratatui app over a project.
//!
//! Shape: one message type ([`msg::Msg`]) and one consumer ([`runner`]); the state
//! ([`app::App`]) changes only in `App::handle` and asks for side effects; views
//! ([`views`]) are pure functions of the state; keys ([`keymap`]) and colours ([`theme`]) are
//! data; parsing, decoding and image encoding run in workers ([`jobs`], [`image`]) where the
//! latest request wins ([`worker`]).

pub mod action;
pub mod adapt;
pub mod app;
pub mod background;
pub mod chart;
pub mod data;
pub mod effects;
pub mod export;
pub mod frames;
pub mod headless;
pub mod image;
pub mod input;
pub mod job_bridge;
pub mod job_prepare;
pub mod jobs;
pub mod keymap;
pub mod label_io;
pub mod load;
pub mod msg;
pub mod plots;
pub mod runner;
pub mod scalars;
pub mod slurm_follow;
pub mod state;
pub mod term;
pub mod theme;
pub mod views;
pub mod worker;

pub use runner::{Options, run};
