//! Server-Sent Events (WHATWG HTML §9.2).
