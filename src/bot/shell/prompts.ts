import { withRestArgument } from '../../commands/command-line.js';
import type { FormName, Forms } from '../../commands/forms.js';
import type { Button } from '../../engine/ports/message.js';
import { printable, terminalText } from '../render/text.js';

/**
 * The shell's forms of Slack's dialogs (issue 11): a confirm is a yes/no question, a button that
 * asks (Deny's reason) and the apply form read their answers from the next lines. What they build
 * is a command line, dispatched like a typed one, so the terminal demo and scripts keep working.
 */

/** Prints a question and reads the next line (undefined at the end of input). */
export type Ask = (question: string) => Promise<string | undefined>;

const YES = /^(y|yes)$/i;

/** The command a click runs once its questions are answered, or the words saying it was not run. */
export const answerButton = async (
  button: Button,
  ask: Ask,
  users: Readonly<Record<string, string>>,
): Promise<{ command: string } | { cancelled: string }> => {
  const { confirm } = button;
  if (confirm) {
    const question = `${printable(confirm.title)} ${terminalText(confirm.text, users)} ${printable(confirm.yes)}? [y/N]`;
    const answer = (await ask(question))?.trim() ?? '';
    if (!YES.test(answer)) return { cancelled: `not done: ${printable(button.label)} was not confirmed` };
  }
  if (!button.ask) return { command: button.command };
  const answer = (await ask(`${printable(button.ask.label)} (an empty line cancels)`))?.trim() ?? '';
  if (answer === '') return { cancelled: `not done: ${printable(button.label)} needs an answer` };
  return { command: withRestArgument(button.command, answer) };
};

/** A form as prompts, one per field; the command line it makes, or why not. */
export const answerForm = async (
  form: FormName,
  forms: Forms,
  ask: Ask,
): Promise<{ command: string } | { cancelled: string }> => {
  switch (form) {
    case 'apply': {
      const offered = (await forms.revisions('')).map((choice) => choice.value);
      const hint = offered.length > 0 ? ` (${printable(offered.slice(0, 10).join(', '))}, or a SHA)` : '';
      const revision = (await ask(`Apply which revision?${hint} (an empty line cancels)`))?.trim() ?? '';
      if (revision === '') return { cancelled: 'not done: no revision given' };
      const sets = forms.sets();
      const set = (await ask(`To which nodes? ${printable(sets.join(', '))} [all]`))?.trim() || 'all';
      // One word each: an answer cannot add flags or words to the command.
      if (/\s/.test(revision) || /\s/.test(set))
        return { cancelled: 'not done: one word per answer, please' };
      return { command: `apply ${withRestArgument(`--set ${set}`, revision)}` };
    }
  }
};
