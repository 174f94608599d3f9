// A request's history ranges (`?lengths_age=&lengths_incr=&msg_rates_age=&msg_rates_incr=`), or 400.
import type { Call } from './api.js';
import { badRequest } from './http-error.js';
import { historyRanges } from './rates.js';
import type { Ranges } from './views.js';

export function rangesOf(call: Call): Ranges {
  const ranges = historyRanges(call.query);
  if (typeof ranges === 'string') throw badRequest(ranges);
  return ranges;
}
