"""Webhooks: signed deliveries of a workspace's events, retried with backoff, dead-lettered."""

from cortex.webhooks._delivery import deliver_due, retry_delay
from cortex.webhooks._dispatch import enqueue_for_batch
from cortex.webhooks._signing import SIGNATURE_HEADER, InvalidSignature, sign, verify_signature

__all__ = [
    "SIGNATURE_HEADER",
    "InvalidSignature",
    "deliver_due",
    "enqueue_for_batch",
    "retry_delay",
    "sign",
    "verify_signature",
]
