// Kernel struct types generated from BTF by `tsbpf types` (not generated yet).
export {};
