//! permessage-deflate in the message layer (RFC 7692 §6): the per-direction
//! engines of one connection, and the buffer outgoing messages are
//! compressed into.
//!
//! The rules themselves live in `ws::extension::deflate` (the engines) and
//! in the message codec (which frames carry RSV1, where text is validated);
//! this is the state that joins them.

use bytes::{Bytes, BytesMut};

use crate::ws::config::WebSocketConfig;
use crate::ws::extension::deflate::{Compressed, DeflateParams, Deflater, Inflater};
use crate::ws::extension::DeflateError;
use crate::ws::frame_codec::Role;

/// RSV1, permessage-deflate's "Per-Message Compressed" bit (RFC 7692 §6).
pub(crate) const RSV1: u8 = 0b100;

/// Largest compression buffer kept from one message to the next: a large
/// message does not pin its compressed size for the rest of the
/// connection (as the read and write buffers, see `ws::stream`).
const OUT_RETAIN: usize = 64 << 10;

/// The agreed parameters and both engines of one connection.
pub(super) struct PerMessageDeflate {
    pub(super) params: DeflateParams,
    pub(super) inflater: Inflater,
    deflater: Deflater,
    /// Outgoing messages are compressed here and split off as `Bytes`; the
    /// space is reclaimed once the frames are written and dropped, so a
    /// steady stream of messages allocates nothing.
    out: BytesMut,
}

impl std::fmt::Debug for PerMessageDeflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerMessageDeflate")
            .field("params", &self.params.to_string())
            .field("inflater", &self.inflater)
            .field("deflater", &self.deflater)
            .finish_non_exhaustive()
    }
}

impl PerMessageDeflate {
    pub(super) fn new(role: Role, params: DeflateParams, config: &WebSocketConfig) -> Self {
        PerMessageDeflate {
            params,
            inflater: params.inflater(role, config.max_message_size()),
            deflater: params.deflater(role, config.deflate()),
            out: BytesMut::new(),
        }
    }

    /// The payload to send for a data message: `Some` compressed bytes
    /// (the first frame then carries RSV1), or `None` to send it as it is
    /// (below `compression_threshold`, or, without context takeover, not
    /// smaller compressed). Each message is sync-flushed whole (§7.2.1):
    /// what is sent is all of it, nothing waits in the compressor.
    pub(super) fn compress(&mut self, payload: &[u8]) -> Result<Option<Bytes>, DeflateError> {
        if self.out.capacity() > OUT_RETAIN {
            self.out = BytesMut::new();
        }
        match self.deflater.compress(payload, &mut self.out)? {
            Compressed::Yes => Ok(Some(self.out.split().freeze())),
            Compressed::No => Ok(None),
        }
    }

    /// Whether our compressor starts each message from an empty window.
    #[cfg(test)]
    pub(super) fn deflater(&self) -> &Deflater {
        &self.deflater
    }
}
