/work/main/target/debug/deps/ipvsadm_rs-2b42bedf71972f49.d: src/main.rs

/work/main/target/debug/deps/ipvsadm_rs-2b42bedf71972f49: src/main.rs

src/main.rs:
