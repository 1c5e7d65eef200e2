"""Reading the files we and others wrote: bounded, checked, never trusted."""
