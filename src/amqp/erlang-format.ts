// RabbitMQ quotes frame bytes in its error texts as Erlang prints a binary: <<"text">> when every byte
// is printable, <<1,2,3>> otherwise. Clients and operators see these texts, so Warren prints them alike.
export function erlangBinary(buf: Buffer, start = 0, end = buf.length): string {
  if (end <= start) return '<<>>';
  let printable = true;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c < 0x20 || c > 0x7e) {
      printable = false;
      break;
    }
  }
  if (printable) {
    return `<<"${buf.toString('latin1', start, end).replace(/[\\"]/g, (c) => `\\${c}`)}">>`;
  }
  const parts: number[] = [];
  for (let i = start; i < end; i++) parts.push(buf[i]);
  return `<<${parts.join(',')}>>`;
}
