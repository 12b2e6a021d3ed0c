/work/main/target/debug/ipvsadm-rs: /work/main/src/lib.rs /work/main/src/main.rs
