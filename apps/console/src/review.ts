/**
 * The owner's review queue (#/review) and the autonomy choice on a contact's page. Contents and
 * names are the contacts' words: shown as text only (dom.ts), never as HTML.
 */
import type { AutonomyTier, Contact, PortalClient, ReviewItem, ReviewPage } from '@agent-p2p/sdk';
import { append, clear, formatTime, h, setText } from './dom';
import { t, type Key } from './i18n';

export const TIERS: AutonomyTier[] = ['blocked', 'notify-only', 'bounded', 'extended'];

export interface ReviewDeps {
  client: PortalClient;
  /** Shows an error where it happened (or ends an expired session). */
  onError: (error: unknown, where: HTMLElement) => void;
  /** False once the owner navigated away (late answers are dropped). */
  current: () => boolean;
}

/** The review page's content; it loads itself and reloads after every release or drop. */
export function reviewPage(deps: ReviewDeps): { content: HTMLElement[]; reload: () => void } {
  const quiet = h('p', { class: 'note', id: 'quiet-hours', hidden: true });
  const done = h('p', { class: 'note', id: 'review-done', role: 'status', hidden: true });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const list = h('ul', { class: 'review', id: 'review-list' });

  const act = (action: 'release' | 'drop', body: { ids: number[] } | { contactId: number }) => {
    error.hidden = true;
    const call = action === 'release' ? deps.client.releaseReview(body) : deps.client.dropReview(body);
    call
      .then((result) => {
        setText(
          done,
          action === 'release' ? t('released', { count: result.count, wakes: result.wakes }) : t('dropped', { count: result.count }),
        );
        done.hidden = false;
        reload();
      })
      .catch((e: unknown) => deps.onError(e, error));
  };

  const item = (entry: ReviewItem): HTMLElement => {
    const why: Key = entry.reason === 'budget' ? 'reviewHeld' : entry.reason === 'quiet_hours' ? 'reviewQuiet' : 'reviewSoon';
    return h(
      'li',
      { class: `review-item ${entry.state}`, 'data-id': entry.id },
      h(
        'div',
        { class: 'meta' },
        h('a', { href: `#/contacts/${entry.contactId}`, class: 'contact' }, entry.contactName || `#${entry.contactId}`),
        h('span', { class: 'why' }, t(why)),
        h('time', {}, formatTime(entry.receivedAt)),
      ),
      h('p', { class: 'content' }, entry.cut ? `${entry.content}…` : entry.content),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'release', onclick: () => act('release', { ids: [entry.id] }) }, t('release')),
        h('button', { type: 'button', class: 'link drop', onclick: () => act('drop', { ids: [entry.id] }) }, t('drop')),
        h(
          'button',
          { type: 'button', class: 'link release-all', onclick: () => act('release', { contactId: entry.contactId }) },
          t('releaseAll'),
        ),
      ),
    );
  };

  const show = (page: ReviewPage) => {
    clear(list);
    const q = page.quietHours;
    quiet.hidden = !q.active;
    if (q.active) setText(quiet, t('quietUntil', { span: q.span ?? '', zone: q.timeZone, time: q.endsAt ? formatTime(q.endsAt) : '' }));
    if (page.items.length === 0) append(list, h('li', { class: 'empty' }, t('reviewEmpty')));
    else append(list, ...page.items.map(item));
  };

  const reload = () => {
    deps.client
      .listReview({ limit: 200 })
      .then((page) => deps.current() && show(page))
      .catch((e: unknown) => deps.current() && deps.onError(e, error));
  };
  reload();
  return { content: [h('h2', {}, t('review')), h('p', { class: 'note' }, t('reviewIntro')), quiet, done, error, list], reload };
}

/** The tier choice on a contact's page: the owner may set any tier. */
export function autonomyChoice(deps: ReviewDeps, contact: Contact): HTMLElement {
  const status = h('span', { class: 'note', role: 'status' });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const select = h(
    'select',
    { id: 'autonomy', 'aria-label': t('autonomy') },
    ...TIERS.map((tier) => h('option', { value: tier, selected: contact.autonomy === tier }, t(`tier_${tier}` as Key))),
  );
  select.value = contact.autonomy;
  select.addEventListener('change', () => {
    error.hidden = true;
    setText(status, '');
    deps.client
      .setContactAutonomy(contact.id, select.value as AutonomyTier)
      .then((updated) => {
        select.value = updated.autonomy;
        setText(status, t('autonomySaved'));
      })
      .catch((e: unknown) => {
        select.value = contact.autonomy;
        deps.onError(e, error);
      });
  });
  return h('div', { class: 'autonomy' }, h('label', { for: 'autonomy' }, `${t('autonomy')}: `), select, status, error);
}
