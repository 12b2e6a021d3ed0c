/work/main/target/debug/libipvsadm_rs.rlib: /work/main/src/lib.rs
