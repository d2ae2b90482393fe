/**
 * The bound shared by the process's caches (DNS answers, handshakes, TLS sessions, parsed certificates, the lab
 * fleet's certificates): a Map kept in use order, newest last, that forgets its oldest entries beyond `limit`.
 */
export function setNewest<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  // Deleted first so that a key stored again moves to the end.
  map.delete(key);
  map.set(key, value);
  while (map.size > limit) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    map.delete(oldest.value);
  }
}
