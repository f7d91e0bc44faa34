import type { types } from '@slack/bolt';
import type { FormChoice } from '../../commands/forms.js';
import type { Ask, Message } from '../../engine/ports/message.js';
import { ellipsize, SLACK_LIMITS } from '../render/slack-limits.js';
import { terminalText } from '../render/text.js';

/**
 * The modals, as Block Kit views within Slack's limits (title and buttons 24 characters, labels
 * 2,000, placeholders 150, options 75/150 and 100 of them). Pure: modals.ts opens and answers them.
 */

/** Callback ids of the two modals and of the global shortcut that opens the apply one (manifest.yml). */
export const ASK_CALLBACK = 'heckler_ask';
export const APPLY_CALLBACK = 'heckler_apply_form';
export const APPLY_SHORTCUT = 'heckler_apply';

/** Block and action ids whose values a submission reads. */
export const ANSWER = { block: 'answer', action: 'text' } as const;
/** The revision picker's action id also routes its `block_suggestion` requests (app.options). */
export const REVISION = { block: 'revision', action: 'heckler_revision' } as const;
export const NODE_SET = { block: 'set', action: 'set' } as const;

/** The longest answer a modal takes: with the command around it, it stays within a command's length. */
export const MAX_ANSWER = 2000;
/**
 * Slack documents no length for a modal's error strings; past a few lines they stop being read,
 * so an error is shortened to this with a visible ellipsis.
 */
export const MAX_ERROR = 300;

const plain = (text: string, max: number): types.PlainTextElement => ({
  type: 'plain_text',
  text: ellipsize(text, max),
  emoji: true,
});

const frame = (title: string, submit: string, metadata: string, callback: string) => ({
  type: 'modal' as const,
  callback_id: callback,
  title: plain(title, SLACK_LIMITS.modalTitle),
  submit: plain(submit, SLACK_LIMITS.modalButton),
  close: plain('Cancel', SLACK_LIMITS.modalButton),
  private_metadata: metadata,
});

/** A button's question (Button.ask) as a modal with one text box. */
export const askModal = (ask: Ask, metadata: string): types.ModalView => ({
  ...frame(ask.title, ask.submit, metadata, ASK_CALLBACK),
  blocks: [
    {
      type: 'input',
      block_id: ANSWER.block,
      label: plain(ask.label, SLACK_LIMITS.inputLabel),
      element: {
        type: 'plain_text_input',
        action_id: ANSWER.action,
        multiline: true,
        max_length: MAX_ANSWER,
        ...(ask.placeholder ? { placeholder: plain(ask.placeholder, SLACK_LIMITS.placeholder) } : {}),
      },
    },
  ],
});

const option = (choice: FormChoice): types.PlainTextOption => ({
  text: plain(choice.label, SLACK_LIMITS.optionText),
  value: choice.value,
});

/** Choices as select options: only values Slack takes whole (a cut value would name another revision). */
export const selectOptions = (choices: readonly FormChoice[]): types.PlainTextOption[] =>
  choices
    .filter((choice) => choice.value.length <= SLACK_LIMITS.optionValue)
    .slice(0, SLACK_LIMITS.optionsPerSelect)
    .map(option);

/** `/heckler apply` with no revision, or the "Apply a revision" shortcut: revision picker and node set. */
export const applyModal = (sets: readonly string[], metadata: string): types.ModalView => {
  const setOptions = selectOptions(sets.map((set) => ({ label: set, value: set })));
  return {
    ...frame('Apply a revision', 'Plan the apply', metadata, APPLY_CALLBACK),
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: 'Heckler answers with the plan first: what each node moves from and to, and anything blocking it. Nothing is applied until you press *Confirm* on the plan.',
        },
      },
      {
        type: 'input',
        block_id: REVISION.block,
        label: plain('Revision', SLACK_LIMITS.inputLabel),
        hint: plain(
          'The branch tip and the latest tags are listed; type a SHA or an older tag to find it.',
          2000,
        ),
        element: {
          type: 'external_select',
          action_id: REVISION.action,
          min_query_length: 0,
          placeholder: plain('a tag, the branch or a SHA', SLACK_LIMITS.placeholder),
        },
      },
      {
        type: 'input',
        block_id: NODE_SET.block,
        label: plain('Nodes', SLACK_LIMITS.inputLabel),
        element: {
          type: 'static_select',
          action_id: NODE_SET.action,
          options: setOptions,
          ...(setOptions[0] ? { initial_option: setOptions[0] } : {}),
        },
      },
    ],
  };
};

/** A refusal (mrkdwn) as the plain words a modal shows under a field. */
export const modalError = (message: Message): string =>
  ellipsize(terminalText(message.text, {}).replace(/\s*\n\s*/g, ' — '), MAX_ERROR);

type StateValue = { value?: string | null; selected_option?: { value?: string } | null };

/** What was typed or picked in one field of a submitted view, or undefined. */
export const submitted = (
  state: { values?: Record<string, Record<string, StateValue>> } | undefined,
  field: { block: string; action: string },
): string | undefined => {
  const entry = state?.values?.[field.block]?.[field.action];
  const value = entry?.value ?? entry?.selected_option?.value;
  return typeof value === 'string' ? value : undefined;
};
