"""A download streamed under ASGI chunk by chunk (the API's export and the admin's CSV): no
more than asgiref, so that the admin's site, loaded at every start, loads no DRF with it."""

from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async

_END = object()


async def in_sync_thread(chunks: Iterator[str]) -> AsyncIterator[str]:
    """Serve a sync generator under ASGI chunk by chunk.

    Django consumes a *sync* streaming iterator whole under ASGI (into memory); pulling each
    chunk through sync_to_async keeps memory flat, and thread_sensitive keeps every pull (and so
    the database cursor) on the request's one sync thread.
    """
    pull = sync_to_async(next, thread_sensitive=True)
    try:
        while (chunk := await pull(chunks, _END)) is not _END:
            yield chunk
    finally:
        await sync_to_async(chunks.close, thread_sensitive=True)()
