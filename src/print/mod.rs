//! From the model to bytes: [`compat`] writes ipvsadm's formats exactly,
//! `sort` reproduces its order, [`names`] its host and port naming.

pub mod compat;
pub(crate) mod conn;
pub mod json;
pub mod names;
pub(crate) mod sort;
pub(crate) mod text;
