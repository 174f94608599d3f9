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

/**
 * A two-element tuple as Erlang's ~p prints it after a prefix of prefixLength characters: on one line
 * when it fits in 80 columns (RabbitMQ's texts leave 2 for the closing), otherwise broken after the
 * comma with the second element aligned under the first.
 */
export function erlangPair(prefixLength: number, first: string, second: string): string {
  const oneLine = `{${first},${second}}`;
  if (prefixLength + oneLine.length <= 78) return oneLine;
  return `{${first},\n${' '.repeat(prefixLength + 1)}${second}}`;
}

/** A string as Erlang prints a list of characters: in double quotes, with \ and " escaped. */
export function erlangString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
