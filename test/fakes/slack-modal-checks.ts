/**
 * What Slack checks of a modal on `views.open` / `views.update`, so a view over Slack's limits fails
 * here as it would in production (`invalid_arguments` with the reason, as Slack answers).
 */
type Text = { type?: string; text?: string };
interface ModalBlock {
  type?: string;
  block_id?: string;
  label?: Text;
  element?: {
    type?: string;
    placeholder?: Text;
    options?: unknown[];
    action_id?: string;
    max_length?: number;
  };
}
export interface ModalView {
  type?: string;
  title?: Text;
  submit?: Text;
  close?: Text;
  callback_id?: string;
  private_metadata?: string;
  blocks?: ModalBlock[];
}

const plainWithin = (text: Text | undefined, max: number) =>
  text === undefined ||
  (text.type === 'plain_text' && (text.text ?? '').length <= max && (text.text ?? '') !== '');

/** Slack's reason for refusing the view, or undefined when it is acceptable. */
export const invalidModal = (view: ModalView | undefined): string | undefined => {
  if (view?.type !== 'modal') return 'view.type must be modal';
  if (!view.title || !plainWithin(view.title, 24)) return 'title must be plain_text of at most 24 characters';
  if (!plainWithin(view.submit, 24) || !plainWithin(view.close, 24))
    return 'submit and close must be plain_text of at most 24 characters';
  if ((view.private_metadata ?? '').length > 3000) return 'private_metadata must be at most 3000 characters';
  if ((view.callback_id ?? '').length > 255) return 'callback_id must be at most 255 characters';
  const blocks = view.blocks ?? [];
  if (blocks.length > 100) return 'no more than 100 items allowed [json-pointer:/view/blocks]';
  const inputs = blocks.filter((block) => block.type === 'input');
  if (inputs.length > 0 && !view.submit) return 'a view with input blocks needs submit';
  for (const block of inputs) {
    if (!plainWithin(block.label, 2000))
      return `label must be plain_text of at most 2000 characters (${block.block_id})`;
    if (!plainWithin(block.element?.placeholder, 150))
      return `placeholder must be at most 150 characters (${block.block_id})`;
    if ((block.element?.options ?? []).length > 100) return `no more than 100 options (${block.block_id})`;
    if ((block.element?.max_length ?? 0) > 3000) return `max_length must be at most 3000 (${block.block_id})`;
  }
  return undefined;
};
