"""Every write to the CMDB, each recording who, how (`via`) and what changed."""
