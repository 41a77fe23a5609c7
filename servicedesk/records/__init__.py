"""The record kernel's pages, shared by every registered kind: the record page dispatch
(`/records/<number>/`), the jump box and attachment downloads, the selectors behind them and the timeline's
renderers."""
