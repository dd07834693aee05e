/**
 * Identity keys in the console: this Portal's fingerprint and its rotation (Settings), a contact's
 * pinned fingerprint, the compared mark and the re-pin after an unannounced change (its page), and
 * the banner every page shows while a contact needs the owner. Names and their Portal's reasons are
 * the peers' words: shown as text only (dom.ts), never as HTML.
 */
import { type Contact, type Identity, PortalApiError } from '@agent-p2p/sdk';
import { append, clear, formatTime, h, setText } from './dom';
import { t } from './i18n';
import type { ReviewDeps } from './review';

export type IdentityDeps = ReviewDeps;

/** A fingerprint in large digits, its groups kept apart (the owners read them aloud). */
function fingerprintBlock(fingerprint: string | null, id: string): HTMLElement {
  return h('p', { class: 'fingerprint', id, 'data-fingerprint': fingerprint ?? '' }, fingerprint ?? '—');
}

/** Settings: this Portal's identity key and the "Rotate identity key" button, with a confirm step. */
export function identityCard(deps: IdentityDeps): HTMLElement {
  const body = h('div', { class: 'identity-body' }, h('p', { class: 'sub' }, t('loading')));
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const done = h('p', { class: 'notice', id: 'identity-rotated', role: 'status', hidden: true });
  const rotate = h('button', { type: 'button', id: 'rotate-identity', class: 'secondary' }, t('rotateIdentity'));
  const yes = h('button', { type: 'button', id: 'rotate-identity-yes', class: 'danger' }, t('rotateYes'));
  const no = h('button', { type: 'button', id: 'rotate-identity-no', class: 'secondary' }, t('cancel'));
  const confirmStep = h('div', { class: 'confirm', id: 'rotate-confirm', hidden: true }, h('p', {}, t('rotateConfirm')), yes, ' ', no);

  const show = (identity: Identity): void => {
    clear(body);
    append(
      body,
      fingerprintBlock(identity.fingerprint, 'my-fingerprint'),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, t('keyId')),
        h('dd', {}, h('code', { id: 'my-key-id' }, identity.keyId)),
        h('dt', {}, t('keySource')),
        h(
          'dd',
          { id: 'my-key-source', 'data-source': identity.source },
          t(identity.source === 'configured' ? 'source_configured' : 'source_generated'),
        ),
        h('dt', {}, t('keySince')),
        h('dd', {}, formatTime(identity.createdAt)),
      ),
    );
    rotate.hidden = identity.source === 'configured';
    if (identity.source === 'configured') append(body, h('p', { class: 'note', id: 'rotate-configured' }, t('rotateConfigured')));
  };
  const load = (): void => {
    deps.client
      .getMe()
      .then((me) => deps.current() && show(me.identity))
      .catch((e: unknown) => deps.onError(e, error));
  };
  rotate.addEventListener('click', () => {
    done.hidden = true;
    error.hidden = true;
    confirmStep.hidden = false;
    rotate.disabled = true;
  });
  no.addEventListener('click', () => {
    confirmStep.hidden = true;
    rotate.disabled = false;
  });
  yes.addEventListener('click', () => {
    yes.disabled = true;
    deps.client
      .rotateIdentity()
      .then((rotation) => {
        if (!deps.current()) return;
        show(rotation.identity);
        setText(
          done,
          t('rotated', { before: rotation.previousFingerprint, after: rotation.identity.fingerprint, count: rotation.contactsNotified }),
        );
        done.hidden = false;
      })
      .catch((e: unknown) => deps.onError(e, error))
      .finally(() => {
        yes.disabled = false;
        confirmStep.hidden = true;
        rotate.disabled = false;
      });
  });
  load();
  return h(
    'section',
    { class: 'card identity', id: 'identity' },
    h('h3', {}, t('identity')),
    h('p', { class: 'sub' }, t('identityIntro')),
    body,
    done,
    error,
    rotate,
    confirmStep,
  );
}

/**
 * A contact's page: its pinned fingerprint and the compared mark (mark, unmark); when the key
 * changed, both fingerprints and the re-pin form; when their Portal refuses ours, its reason and our
 * fingerprint for their owner. `changed` is told the contact as it is after a mark or a re-pin.
 */
export function contactIdentity(deps: IdentityDeps, contact: Contact, changed: (contact: Contact) => void): HTMLElement {
  const identity = contact.identity;
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const section = h('section', { class: `card peer-identity state-${identity.state}`, id: 'peer-identity', 'data-state': identity.state });
  append(section, h('h3', {}, t('peerIdentity')));

  if (identity.state === 'unpinned') {
    append(section, h('p', { class: 'sub' }, t('identity_unpinned')));
  } else if (identity.state === 'pinned') {
    append(
      section,
      fingerprintBlock(identity.fingerprint, 'peer-fingerprint'),
      h(
        'p',
        { class: 'sub' },
        `${t('keyId')} `,
        h('code', {}, identity.keyId ?? ''),
        identity.pinnedAt ? ` · ${t('identityPinnedAt', { at: formatTime(identity.pinnedAt) })}` : '',
      ),
    );
    const mark = h(
      'button',
      { type: 'button', id: 'compared-toggle', class: identity.compared ? 'secondary' : '' },
      identity.compared ? t('unmarkCompared') : t('markCompared'),
    );
    mark.addEventListener('click', () => {
      mark.disabled = true;
      error.hidden = true;
      deps.client
        .setContactCompared(contact.id, !identity.compared)
        .then((next) => deps.current() && changed(next))
        .catch((e: unknown) => {
          mark.disabled = false;
          deps.onError(e, error);
        });
    });
    append(
      section,
      h(
        'p',
        { class: `compared ${identity.compared ? 'yes' : 'no'}`, id: 'compared-state', 'data-compared': String(identity.compared) },
        identity.compared ? `✓ ${t('comparedYes', { at: identity.comparedAt ? formatTime(identity.comparedAt) : '' })}` : t('comparedNo'),
        ' ',
        mark,
      ),
      identity.compared ? null : h('p', { class: 'note' }, t('comparedHint')),
    );
  } else {
    const presented = identity.presentedFingerprint ?? '';
    const typed = h('input', {
      type: 'text',
      id: 'repin-fingerprint',
      value: presented,
      inputmode: 'numeric',
      autocomplete: 'off',
      required: true,
      maxlength: 60,
    });
    const submit = h('button', { type: 'submit', class: 'danger' }, t('repin'));
    const form = h('form', { class: 'repin', id: 'repin-form' }, h('label', {}, t('repinHint'), typed), submit);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submit.disabled = true;
      error.hidden = true;
      deps.client
        .repinContactIdentity(contact.id, typed.value)
        .then((next) => deps.current() && changed(next))
        .catch((e: unknown) => {
          submit.disabled = false;
          // 409: what their Portal presents now (another fingerprint than the one typed) is in the message.
          if (e instanceof PortalApiError && e.status === 409 && typeof e.details?.presentedFingerprint === 'string') {
            typed.value = e.details.presentedFingerprint;
          }
          deps.onError(e, error);
        });
    });
    append(
      section,
      h('p', { class: 'warning', id: 'identity-changed', role: 'alert' }, t('identityChanged')),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, t('pinnedFingerprint')),
        h('dd', {}, fingerprintBlock(identity.fingerprint, 'pinned-fingerprint')),
        h('dt', {}, t('presentedFingerprint')),
        h('dd', {}, fingerprintBlock(identity.presentedFingerprint, 'presented-fingerprint')),
      ),
      form,
    );
  }

  if (identity.refusedByPeer) {
    const hint = h('p', { class: 'note', id: 'refused-hint' }, t('refusedByPeerHint', { fingerprint: '…' }));
    deps.client
      .getMe()
      .then((me) => setText(hint, t('refusedByPeerHint', { fingerprint: me.identity.fingerprint })))
      .catch(() => undefined);
    append(
      section,
      h(
        'p',
        { class: 'warning', id: 'refused-by-peer' },
        t('refusedByPeer', { since: formatTime(identity.refusedByPeer.since), reason: identity.refusedByPeer.reason }),
      ),
      hint,
    );
  }
  append(section, error);
  return section;
}

/** The contacts that need the owner: a changed key, or their Portal refusing ours. */
export function needingAttention(contacts: Contact[]): Contact[] {
  return contacts.filter(
    (c) => (c.status === 'active' || c.status === 'pending') && (c.identity.state === 'changed' || c.identity.refusedByPeer !== null),
  );
}

/** Fills the banner every page shows (hidden when no contact needs the owner). */
export function fillBanner(banner: HTMLElement, contacts: Contact[]): void {
  clear(banner);
  const list = needingAttention(contacts);
  banner.hidden = list.length === 0;
  if (!list.length) return;
  append(
    banner,
    h('strong', {}, t('bannerTitle')),
    h(
      'ul',
      {},
      ...list.map((c) => {
        const name = c.agentName || c.portalUrl;
        const lines: HTMLElement[] = [];
        if (c.identity.state === 'changed')
          lines.push(h('a', { href: `#/contacts/${c.id}`, class: 'changed' }, t('bannerChanged', { name })));
        if (c.identity.refusedByPeer) lines.push(h('a', { href: `#/contacts/${c.id}`, class: 'refused' }, t('bannerRefused', { name })));
        return h('li', { 'data-id': String(c.id) }, ...lines.flatMap((line, i) => (i ? [' · ', line] : [line])));
      }),
    ),
  );
}
