"""A record kind that exists only in the tests: it proves that a kind gets the kernel's machinery by
registration alone (its model, its transition table, its policy, a `RecordKind`), and the kernel's tests
run on it instead of on incidents. It follows docs/adding-a-record-kind.md."""
