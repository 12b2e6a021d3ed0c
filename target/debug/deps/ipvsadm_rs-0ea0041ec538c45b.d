/work/main/target/debug/deps/ipvsadm_rs-0ea0041ec538c45b.d: src/lib.rs src/cli/mod.rs src/cli/address.rs src/cli/command.rs src/cli/help.rs src/cli/options.rs src/cli/parse.rs src/cli/popt.rs src/cli/restore.rs src/cli/values.rs src/error.rs src/model/mod.rs src/sys.rs

/work/main/target/debug/deps/libipvsadm_rs-0ea0041ec538c45b.rlib: src/lib.rs src/cli/mod.rs src/cli/address.rs src/cli/command.rs src/cli/help.rs src/cli/options.rs src/cli/parse.rs src/cli/popt.rs src/cli/restore.rs src/cli/values.rs src/error.rs src/model/mod.rs src/sys.rs

/work/main/target/debug/deps/libipvsadm_rs-0ea0041ec538c45b.rmeta: src/lib.rs src/cli/mod.rs src/cli/address.rs src/cli/command.rs src/cli/help.rs src/cli/options.rs src/cli/parse.rs src/cli/popt.rs src/cli/restore.rs src/cli/values.rs src/error.rs src/model/mod.rs src/sys.rs

src/lib.rs:
src/cli/mod.rs:
src/cli/address.rs:
src/cli/command.rs:
src/cli/help.rs:
src/cli/options.rs:
src/cli/parse.rs:
src/cli/popt.rs:
src/cli/restore.rs:
src/cli/values.rs:
src/error.rs:
src/model/mod.rs:
src/sys.rs:

# env-dep:CARGO_PKG_VERSION=0.1.0
