/work/main/target/debug/deps/ipvsadm_rs-0ea0041ec538c45b.d: src/lib.rs

/work/main/target/debug/deps/libipvsadm_rs-0ea0041ec538c45b.rlib: src/lib.rs

/work/main/target/debug/deps/libipvsadm_rs-0ea0041ec538c45b.rmeta: src/lib.rs

src/lib.rs:
