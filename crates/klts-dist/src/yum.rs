//! yum
