/**
 * Client message ids. Mini programs have no synchronous crypto, and idClient only has to be unique per
 * sender (the server deduplicates by sender + idClient), so time plus 80 random bits is enough. A
 * counter after the time keeps ids of one client in creation order, which orders pending messages
 * composed within the same millisecond as they were typed.
 */
let counter = 0;

export function newIdClient(): string {
  let rand = '';
  for (let i = 0; i < 4; i++) rand += Math.floor(Math.random() * 0x100000).toString(36).padStart(4, '0');
  counter = (counter + 1) % 36 ** 4;
  return `${Date.now().toString(36)}-${counter.toString(36).padStart(4, '0')}${rand}`;
}
