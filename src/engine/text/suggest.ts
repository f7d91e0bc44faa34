/** Levenshtein distance, for "did you mean" hints. Inputs here are short words. */
export const editDistance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
};

/** The closest candidates within a typo's reach of `word`, best first. */
export const closest = (word: string, candidates: Iterable<string>, max = 3): string[] => {
  const lower = word.toLowerCase();
  const reach = lower.length <= 3 ? 1 : Math.max(2, Math.floor(lower.length / 3));
  return [...candidates]
    .map((candidate) => ({ candidate, distance: editDistance(lower, candidate.toLowerCase()) }))
    .filter(({ candidate, distance }) => distance <= reach || candidate.startsWith(lower))
    .sort((x, y) => x.distance - y.distance || x.candidate.localeCompare(y.candidate))
    .slice(0, max)
    .map(({ candidate }) => candidate);
};

export const didYouMean = (word: string, candidates: Iterable<string>): string => {
  const [best] = closest(word, candidates, 1);
  return best === undefined ? '' : ` (did you mean '${best}'?)`;
};
