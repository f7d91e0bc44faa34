/**
 * Counts turns of the event loop while `work` runs: a loop that yields between its steps lets
 * many turns go by; one that holds the loop lets one or two.
 */
export const turnsDuring = async <T>(work: () => Promise<T>): Promise<{ value: T; turns: number }> => {
  let turns = 0;
  let counting = true;
  const tick = () => {
    turns += 1;
    if (counting) setImmediate(tick);
  };
  setImmediate(tick);
  try {
    return { value: await work(), turns };
  } finally {
    counting = false;
  }
};
