//! The demo's tests: the store, the actions' broadcasts, and the live pages over real HTTP
//! (Server-Sent Events read with a plain HTTP client), on the in-memory broker and across two
//! nodes on a real `redis-server`.

mod actions;
mod client;
mod hostile_api;
mod hostile_wire;
mod live;
mod multi_node;
mod redis_server;
mod resume_across;
mod store;
mod viewers;
mod views;
