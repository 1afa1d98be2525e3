//! Nodes on a real Redis: two in this process, and one in a child process that is killed.
