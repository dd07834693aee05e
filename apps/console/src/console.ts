import {
  createPortalClient,
  type Contact,
  type ContactRequest,
  type FileTransfer,
  formatDuration,
  type GuestbookEntry,
  type Message,
  type OwnerChatAttachment,
  type OwnerChatMessage,
  type OwnerKey,
  PortalApiError,
  type PortalEvent,
} from '@agent-p2p/sdk';
import { append, clear, formatSize, formatTime, h, scrollToEnd, setText, type Child } from './dom';
import { initialLang, lang, setLang, stageMark, statusText, t, type Lang } from './i18n';
import { contactIdentity, fillBanner, identityCard } from './identity';
import { LiveEvents } from './live';
import { autonomyChoice, reviewPage } from './review';
import { uploadFile, type UploadProgress } from './upload';

const client = createPortalClient({ baseUrl: location.origin, session: true });
const root = document.getElementById('app') as HTMLElement;
const PAGE = 30;

type View =
  | { name: 'chat' }
  | { name: 'contacts' }
  | { name: 'conversation'; contactId: number }
  | { name: 'files'; contactId?: number }
  | { name: 'guestbook' }
  | { name: 'review' }
  | { name: 'settings' };

let loggedIn = false;
let online = false;
/** The current view's reaction to a live event (replaced on every navigation). */
let onLiveEvent: (event: PortalEvent) => void = () => undefined;
let renderToken = 0;
const live = new LiveEvents(
  (event) => {
    // A contact's key changed, or their Portal refuses ours (or that ended): the banner follows.
    if (event.type.startsWith('contact.identity_') || event.type === 'contact.removed') refreshBanner();
    onLiveEvent(event);
  },
  (state) => {
    online = state;
    const badge = document.getElementById('live-state');
    if (badge) {
      badge.textContent = state ? t('live') : t('offline');
      badge.className = state ? 'live on' : 'live off';
    }
    if (!state && loggedIn) client.getSession().catch(handleError);
  },
  () => expire(),
);

function parseView(): View {
  const hash = location.hash.replace(/^#\/?/, '');
  const conversation = /^contacts\/(\d{1,9})$/.exec(hash);
  if (conversation) return { name: 'conversation', contactId: Number(conversation[1]) };
  const contactFiles = /^files\/(\d{1,9})$/.exec(hash);
  if (contactFiles) return { name: 'files', contactId: Number(contactFiles[1]) };
  if (hash === 'files') return { name: 'files' };
  if (hash === 'contacts' || hash === 'guestbook' || hash === 'review' || hash === 'settings') return { name: hash };
  return { name: 'chat' };
}

/** Errors: an ended session leads back to the login page; anything else is shown where it happened. */
function handleError(error: unknown, where?: HTMLElement): void {
  if (error instanceof PortalApiError && error.status === 401 && loggedIn) {
    expire();
    return;
  }
  const text = error instanceof PortalApiError ? apiErrorText(error) : error instanceof Error ? error.message : String(error);
  if (where) {
    setText(where, text);
    where.hidden = false;
  } else {
    console.error(error);
  }
}

/** The Portal's reason, except where the console can say it better in the owner's language. */
function apiErrorText(error: PortalApiError): string {
  const wait = retryWait(error);
  return wait === null ? error.message : t('tryAgainIn', { wait: formatDuration(wait) });
}

/** Seconds to wait before trying again, for a rate-limited call that says so. */
function retryWait(error: PortalApiError): number | null {
  const wait = Number(error.details?.retryAfterSeconds);
  return error.status === 429 && Number.isFinite(wait) && wait > 0 ? wait : null;
}

function expire(): void {
  loggedIn = false;
  live.stop();
  renderLogin(t('sessionExpired'));
}

// ---------------------------------------------------------------- login

function renderLogin(notice?: string): void {
  onLiveEvent = () => undefined;
  clear(root);
  const password = h('input', {
    type: 'password',
    name: 'password',
    autocomplete: 'current-password',
    required: true,
    id: 'login-password',
  });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const form = h(
    'form',
    { class: 'card login', id: 'login-form' },
    h('h1', {}, t('appName')),
    notice ? h('p', { class: 'notice', id: 'login-notice' }, notice) : null,
    h('label', {}, t('password'), password),
    error,
    h('button', { type: 'submit' }, t('login')),
    languageSwitch(() => renderLogin(notice)),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.hidden = true;
    client
      .login(password.value)
      .then(() => startSession())
      .catch((e: unknown) => {
        const status = e instanceof PortalApiError ? e.status : 0;
        const wait = e instanceof PortalApiError ? retryWait(e) : null;
        const limited = wait === null ? t('tooManyAttempts') : t('tryAgainIn', { wait: formatDuration(wait) });
        handleError(new Error(status === 401 ? t('wrongPassword') : status === 429 ? limited : t('error')), error);
      });
  });
  append(root, form);
  password.focus();
}

function startSession(): void {
  loggedIn = true;
  live.start();
  render();
}

// ---------------------------------------------------------------- shell

function languageSwitch(rerender: () => void): HTMLElement {
  const select = h(
    'select',
    { 'aria-label': t('language'), class: 'lang', id: 'lang-select' },
    h('option', { value: 'en' }, 'English'),
    h('option', { value: 'zh' }, '中文'),
  );
  select.value = lang();
  select.addEventListener('change', () => {
    setLang(select.value as Lang, true);
    rerender();
  });
  return select;
}

function shell(view: View, ...content: Child[]): void {
  clear(root);
  const link = (name: string, label: string) =>
    h(
      'a',
      { href: `#/${name}`, class: view.name === name || (name === 'contacts' && view.name === 'conversation') ? 'active' : '' },
      label,
    );
  const logout = h('button', { type: 'button', class: 'link', id: 'logout' }, t('logout'));
  logout.addEventListener('click', () => {
    client
      .logout()
      .catch(() => undefined)
      .finally(() => {
        loggedIn = false;
        live.stop();
        renderLogin();
      });
  });
  append(
    root,
    h(
      'header',
      {},
      h('strong', { class: 'brand' }, 'Agent P2P'),
      h(
        'nav',
        {},
        link('chat', t('chat')),
        link('contacts', t('contacts')),
        link('review', t('review')),
        link('files', t('files')),
        link('guestbook', t('guestbook')),
        link('settings', t('settings')),
      ),
      h('span', { id: 'live-state', class: online ? 'live on' : 'live off' }, online ? t('live') : t('offline')),
      languageSwitch(render),
      logout,
    ),
    h('div', { class: 'banner', id: 'identity-banner', role: 'alert', hidden: true }),
    h('main', {}, ...content),
  );
  refreshBanner();
}

/** The banner on every page while a contact's key changed or their Portal refuses ours. */
function refreshBanner(): void {
  client
    .listContacts()
    .then((contacts) => {
      const banner = document.getElementById('identity-banner');
      if (banner) fillBanner(banner, contacts);
    })
    .catch(() => undefined);
}

function render(): void {
  if (!loggedIn) return;
  const view = parseView();
  renderToken += 1;
  onLiveEvent = () => undefined;
  if (view.name === 'chat') renderChat();
  else if (view.name === 'contacts') renderContacts();
  else if (view.name === 'conversation') renderConversation(view.contactId);
  else if (view.name === 'files') renderFiles(view.contactId);
  else if (view.name === 'guestbook') renderGuestbook();
  else if (view.name === 'review') renderReview();
  else renderSettings();
}

function errorLine(): HTMLElement {
  return h('p', { class: 'error', role: 'alert', hidden: true });
}

/** A message box with a send button; `send` resolves when the text was accepted. */
function composer(placeholder: string, send: (text: string) => Promise<unknown>, error: HTMLElement): HTMLFormElement {
  const input = h('textarea', { rows: 2, placeholder, required: true, class: 'compose-input' });
  const button = h('button', { type: 'submit' }, t('send'));
  const form = h('form', { class: 'composer' }, input, button);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    button.disabled = true;
    error.hidden = true;
    send(text)
      .then(() => {
        input.value = '';
      })
      .catch((e: unknown) => handleError(e, error))
      .finally(() => {
        button.disabled = false;
        input.focus();
      });
  });
  return form;
}

// ---------------------------------------------------------------- owner chat

const MAX_ATTACHMENTS = 10;

/** "Uploading report.pdf 40%" while a file is hashed or uploaded. */
function progressText(name: string, progress: UploadProgress): string {
  const percent = progress.total ? Math.floor((progress.done / progress.total) * 100) : 100;
  return `${progress.phase === 'hashing' ? t('hashing') : t('uploading')} ${name} ${percent}%`;
}

/** A button that opens the file picker; `picked` gets the files chosen. */
function filePicker(
  label: string,
  id: string,
  multiple: boolean,
  picked: (files: File[]) => void,
): { button: HTMLButtonElement; input: HTMLInputElement } {
  const input = h('input', { type: 'file', id, class: 'file-input', multiple, hidden: true });
  const button = h('button', { type: 'button', class: 'secondary attach' }, label);
  button.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    const files = Array.from(input.files ?? []);
    input.value = '';
    if (files.length) picked(files);
  });
  return { button, input };
}

/** The owner-chat box: text, files, or both. Files are uploaded to this Portal first, then attached. */
function chatComposer(posted: (message: OwnerChatMessage) => void, error: HTMLElement): HTMLFormElement {
  const input = h('textarea', { rows: 2, placeholder: t('writeToAgent'), class: 'compose-input', id: 'chat-input' });
  const send = h('button', { type: 'submit' }, t('send'));
  const chosenList = h('ul', { class: 'chosen', id: 'chat-chosen' });
  const status = h('p', { class: 'sub upload-status', id: 'chat-upload', 'aria-live': 'polite', hidden: true });
  let chosen: File[] = [];
  /** Files already on the Portal from an earlier try whose message failed: not uploaded twice. */
  const uploaded = new Map<File, string>();
  const showChosen = (): void => {
    clear(chosenList);
    chosen.forEach((file, index) => {
      const remove = h(
        'button',
        { type: 'button', class: 'link', title: t('removeAttachment'), 'aria-label': `${t('removeAttachment')} ${file.name}` },
        '×',
      );
      remove.addEventListener('click', () => {
        chosen.splice(index, 1);
        showChosen();
      });
      append(chosenList, h('li', {}, h('span', { class: 'name' }, file.name), ` (${formatSize(file.size)}) `, remove));
    });
  };
  const picker = filePicker(t('attach'), 'chat-files', true, (files) => {
    error.hidden = true;
    if (chosen.length + files.length > MAX_ATTACHMENTS) {
      error.textContent = t('tooManyFiles');
      error.hidden = false;
    }
    chosen = [...chosen, ...files].slice(0, MAX_ATTACHMENTS);
    showChosen();
  });
  const form = h(
    'form',
    { class: 'composer chat-composer' },
    h('div', { class: 'grow' }, chosenList, status, input),
    picker.input,
    picker.button,
    send,
  );
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value;
    const files = [...chosen];
    if (!text.trim() && files.length === 0) return;
    send.disabled = true;
    picker.button.disabled = true;
    error.hidden = true;
    (async () => {
      const ids: string[] = [];
      for (const file of files) {
        let id = uploaded.get(file);
        if (!id) {
          status.hidden = false;
          id = (await uploadFile(client, file, { onProgress: (progress) => setText(status, progressText(file.name, progress)) })).id;
          uploaded.set(file, id);
        }
        ids.push(id);
      }
      status.hidden = true;
      posted(await client.postOwnerChatMessage(text, ids));
      input.value = '';
      chosen = [];
      uploaded.clear();
      showChosen();
    })()
      .catch((e: unknown) => {
        status.hidden = true;
        handleError(e, error);
      })
      .finally(() => {
        send.disabled = false;
        picker.button.disabled = false;
        input.focus();
      });
  });
  return form;
}

/** Attached files as download links (or the name alone once the file is gone). */
function attachmentList(
  attachments: Array<OwnerChatAttachment | (Omit<OwnerChatAttachment, 'available'> & { available?: boolean })>,
): HTMLElement | null {
  if (!attachments.length) return null;
  return h(
    'ul',
    { class: 'attachments' },
    ...attachments.map((a) =>
      h(
        'li',
        { 'data-file-id': a.fileId },
        a.available === false
          ? h('span', { class: 'name gone' }, a.name)
          : h('a', { href: `/api/files/${encodeURIComponent(a.fileId)}/content`, download: a.name, class: 'name' }, a.name),
        h('span', { class: 'size' }, ` · ${formatSize(a.size)}${a.available === false ? ` · ${t('fileRemoved')}` : ''}`),
      ),
    ),
  );
}

function renderChat(): void {
  const token = renderToken;
  const list = h('ol', { class: 'messages', id: 'owner-chat' });
  const older = h('button', { type: 'button', class: 'link', hidden: true }, t('loadOlder'));
  const error = errorLine();
  const shown = new Map<string, HTMLElement>();
  let oldest: number | null = null;

  const bubble = (message: OwnerChatMessage): HTMLElement =>
    h(
      'li',
      { class: `bubble ${message.role === 'owner' ? 'out' : 'in'}`, 'data-id': message.id },
      h('span', { class: 'who' }, message.role === 'owner' ? t('you') : t('agent')),
      message.content ? h('span', { class: 'text' }, message.content) : null,
      attachmentList(message.attachments),
      h('time', { datetime: message.createdAt }, formatTime(message.createdAt)),
    );
  const add = (message: OwnerChatMessage, atTop = false): void => {
    if (shown.has(message.id)) return;
    const item = bubble(message);
    shown.set(message.id, item);
    if (atTop) list.insertBefore(item, list.firstChild);
    else {
      list.appendChild(item);
      scrollToEnd();
    }
  };
  const loadPage = (before?: number): void => {
    client
      .listOwnerChatMessages(before === undefined ? { limit: PAGE } : { before, limit: PAGE })
      .then((page) => {
        if (token !== renderToken) return;
        const messages = before === undefined ? page.messages : [...page.messages].reverse();
        for (const message of messages) add(message, before !== undefined);
        if (page.messages.length) oldest = page.messages[0].cursor;
        older.hidden = !page.hasMore;
      })
      .catch((e: unknown) => handleError(e, error));
  };
  older.addEventListener('click', () => oldest !== null && loadPage(oldest));
  onLiveEvent = (event) => {
    if (event.type !== 'owner_chat.message') return;
    const p = event.payload;
    add({
      id: p.messageId,
      role: p.role,
      content: p.content,
      attachments: (p.attachments ?? []).map((a) => ({ ...a, available: true })),
      createdAt: p.createdAt,
      cursor: 0,
    });
  };
  const agentSign = h('p', { class: 'agent-status', id: 'agent-status', 'data-connected': 'unknown' }, t('loading'));
  const showAgent = (): void => {
    client
      .getAgentStatus()
      .then((status) => {
        if (token !== renderToken) return;
        agentSign.dataset.connected = String(status.connected);
        agentSign.className = `agent-status ${status.connected ? 'on' : 'off'}`;
        setText(
          agentSign,
          status.connected
            ? status.since
              ? t('agentConnectedSince', { since: formatTime(status.since) })
              : t('agentConnected')
            : t('agentNotConnected'),
        );
      })
      .catch(() => undefined)
      .finally(() => {
        if (token === renderToken) window.setTimeout(showAgent, AGENT_POLL_MS);
      });
  };
  shell(
    { name: 'chat' },
    h('h2', {}, t('chat')),
    agentSign,
    older,
    list,
    error,
    chatComposer((m) => add(m), error),
  );
  loadPage();
  showAgent();
}

// ---------------------------------------------------------------- contacts and requests

/** The requests being verified or waiting for the owner, every page (at most 2,000; the Portal's limits keep it far shorter). */
async function openRequests(): Promise<ContactRequest[]> {
  const all: ContactRequest[] = [];
  for (let page = 0; page < 10; page += 1) {
    const last = all[all.length - 1];
    const batch = await client.listContactRequests(undefined, { ...(last ? { after: last.id } : {}), limit: 200 });
    all.push(...batch);
    if (batch.length < 200) break;
  }
  return all;
}

function renderContacts(): void {
  const token = renderToken;
  const contactsList = h('ul', { class: 'list', id: 'contacts' });
  const requestsList = h('ul', { class: 'list', id: 'requests' });
  const error = errorLine();

  const refresh = (): void => {
    Promise.all([client.listContacts(), openRequests()])
      .then(([contacts, requests]) => {
        if (token !== renderToken) return;
        fillContacts(contacts.filter((c) => c.status !== 'removed'));
        fillRequests(requests);
      })
      .catch((e: unknown) => handleError(e, error));
  };
  const act = (call: Promise<unknown>) => call.then(refresh).catch((e: unknown) => handleError(e, error));

  const fillContacts = (contacts: Contact[]): void => {
    clear(contactsList);
    // Attempts to deliver a request change no event each time: while one is under way, look again now and then.
    if (contacts.some((c) => c.status === 'pending' && (c.request?.state === 'sending' || c.request?.state === 'undelivered'))) {
      window.setTimeout(() => token === renderToken && refresh(), REQUEST_POLL_MS);
    }
    if (!contacts.length) append(contactsList, h('li', { class: 'empty' }, t('noContacts')));
    for (const contact of contacts) {
      const remove = h('button', { type: 'button', class: 'danger' }, t('remove'));
      remove.addEventListener('click', () => {
        if (confirm(t('confirmRemove'))) act(client.removeContact(contact.id));
      });
      append(
        contactsList,
        h(
          'li',
          { class: 'row contact', 'data-id': String(contact.id) },
          h(
            'div',
            { class: 'grow' },
            h('a', { href: `#/contacts/${contact.id}`, class: 'name' }, contact.agentName || contact.portalUrl),
            h('span', { class: 'sub' }, contact.ownerName ? `${contact.ownerName} · ` : '', contact.portalUrl),
            contact.status === 'imported' ? h('span', { class: 'sub imported-note' }, t('importedNote')) : null,
            requestLine(contact),
          ),
          h('span', { class: `status ${badgeOf(contact)}` }, statusText(badgeOf(contact))),
          contact.status === 'active' || contact.status === 'imported'
            ? h('a', { href: `#/contacts/${contact.id}`, class: 'button' }, t('open'))
            : null,
          contact.status === 'imported' ? reconnectButton(contact) : null,
          remove,
        ),
      );
    }
  };
  /** A new handshake with the Portal of a contact imported from v0.9 (the same contact keeps its history). */
  const reconnectButton = (contact: Contact): HTMLElement => {
    const button = h('button', { type: 'button', class: 'reconnect' }, t('reconnect'));
    button.addEventListener('click', () => act(client.createContact(contact.portalUrl)));
    return button;
  };
  const fillRequests = (requests: ContactRequest[]): void => {
    clear(requestsList);
    const open = requests.filter((r) => r.status === 'pending' || r.status === 'verifying');
    if (!open.length) append(requestsList, h('li', { class: 'empty' }, t('noRequests')));
    for (const request of open) {
      const approve = h('button', { type: 'button', class: 'approve' }, t('approve'));
      const reject = h('button', { type: 'button', class: 'danger reject' }, t('reject'));
      approve.disabled = request.status !== 'pending';
      approve.addEventListener('click', () => act(client.approveContactRequest(request.id)));
      reject.addEventListener('click', () => act(client.rejectContactRequest(request.id)));
      append(
        requestsList,
        h(
          'li',
          { class: 'row request', 'data-id': String(request.id) },
          h(
            'div',
            { class: 'grow' },
            h('span', { class: 'name' }, request.agentName),
            h('span', { class: 'sub' }, request.ownerName ? `${request.ownerName} · ` : '', request.portalUrl),
            request.message ? h('q', { class: 'note' }, request.message) : null,
          ),
          h('span', { class: request.verified ? 'badge ok' : 'badge warn' }, request.verified ? t('verified') : t('unverified')),
          approve,
          reject,
        ),
      );
    }
  };

  const url = h('input', { type: 'url', required: true, placeholder: t('portalUrl'), id: 'contact-url' });
  const note = h('input', { type: 'text', maxlength: 1000, id: 'contact-note' });
  const addForm = h(
    'form',
    { class: 'card', id: 'add-contact' },
    h('h3', {}, t('addContact')),
    h('label', {}, t('portalUrl'), url),
    h('label', {}, t('note'), note),
    h('button', { type: 'submit' }, t('add')),
  );
  addForm.addEventListener('submit', (event) => {
    event.preventDefault();
    error.hidden = true;
    client
      .createContact(url.value.trim(), note.value)
      .then(() => {
        url.value = '';
        note.value = '';
        refresh();
      })
      .catch((e: unknown) => handleError(e, error));
  });
  onLiveEvent = (event) => {
    if (event.type.startsWith('contact.')) refresh();
  };
  shell({ name: 'contacts' }, h('h2', {}, t('requests')), requestsList, h('h2', {}, t('contacts')), error, contactsList, addForm);
  refresh();
}

/** How often the contacts page looks again while a request is being delivered, and "My agent" at the agent's status. */
const REQUEST_POLL_MS = 5_000;
const AGENT_POLL_MS = 5_000;

/** The contact's badge: its status, or for a closed request what became of it (refused, undelivered). */
function badgeOf(contact: Contact): string {
  const state = contact.request?.state;
  return contact.status === 'rejected' && (state === 'refused' || state === 'undelivered') ? state : contact.status;
}

/** Where our request stands, in words (their Portal's reason as text); null when there is nothing to say. */
function requestLine(contact: Contact): HTMLElement | null {
  const request = contact.request;
  if (!request || (contact.status !== 'pending' && contact.status !== 'rejected')) return null;
  const values = { attempts: request.attempts, error: request.error ?? '' };
  const text =
    request.state === 'undelivered'
      ? t(contact.status === 'pending' ? 'request_undelivered' : 'request_undelivered_final', values)
      : request.state === 'refused'
        ? t('request_refused', values)
        : request.state === 'rejected'
          ? t('request_rejected')
          : contact.status === 'pending'
            ? t(request.state === 'sending' ? 'request_sending' : 'request_delivered')
            : null;
  return text === null ? null : h('span', { class: `sub request-state ${request.state}`, 'data-state': request.state }, text);
}

// ---------------------------------------------------------------- a conversation

function renderConversation(contactId: number): void {
  const autonomySlot = h('div', { class: 'autonomy-slot' });
  const identitySlot = h('div', { class: 'identity-slot' });
  const token = renderToken;
  const list = h('ol', { class: 'messages', id: 'conversation' });
  const older = h('button', { type: 'button', class: 'link', hidden: true }, t('loadOlder'));
  const error = errorLine();
  const title = h('h2', {}, t('loading'));
  const importedNote = h('p', { class: 'note imported-note', hidden: true }, t('importedNote'));
  const shown = new Map<string, HTMLElement>();
  let oldest: number | null = null;
  let query = '';

  const bubble = (message: Message): HTMLElement =>
    h(
      'li',
      { class: `bubble ${message.direction === 'out' ? 'out' : 'in'}`, 'data-id': message.id },
      h('span', { class: 'text' }, message.content),
      h(
        'span',
        { class: 'meta' },
        h('time', { datetime: message.sentAt }, formatTime(message.sentAt)),
        message.direction === 'out' ? outgoingState(message) : null,
      ),
    );
  /** Sending, failed, or the ticks of the contact's receipts (the tooltip says what each means). */
  const outgoingState = (message: Message): HTMLElement => {
    const ticks = message.status === 'delivered' ? stageMark(message.stage) : null;
    if (!ticks) return h('span', { class: `state ${message.status}`, title: message.lastError ?? '' }, statusText(message.status));
    return h('span', { class: `state delivered stage-${message.stage}`, title: ticks.title, 'aria-label': ticks.title }, ticks.mark);
  };
  const put = (message: Message, atTop = false): void => {
    const existing = shown.get(message.id);
    const item = bubble(message);
    shown.set(message.id, item);
    if (existing) existing.replaceWith(item);
    else if (atTop) list.insertBefore(item, list.firstChild);
    else {
      list.appendChild(item);
      scrollToEnd();
    }
  };
  const loadPage = (before?: number): void => {
    client
      .listMessages({ contactId, limit: PAGE, ...(before === undefined ? {} : { before }), ...(query ? { q: query } : {}) })
      .then((page) => {
        if (token !== renderToken) return;
        const messages = before === undefined ? page.messages : [...page.messages].reverse();
        for (const message of messages) put(message, before !== undefined);
        if (page.messages.length) oldest = page.messages[0].cursor;
        else if (before === undefined && !shown.size) append(list, h('li', { class: 'empty' }, t('noMessages')));
        older.hidden = !page.hasMore;
      })
      .catch((e: unknown) => handleError(e, error));
  };
  const reload = (): void => {
    clear(list);
    shown.clear();
    oldest = null;
    loadPage();
  };
  older.addEventListener('click', () => oldest !== null && loadPage(oldest));

  const search = h('input', { type: 'search', placeholder: t('search'), id: 'search', maxlength: 200 });
  const searchForm = h('form', { class: 'search' }, search, h('button', { type: 'submit' }, t('search')));
  searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    query = search.value.trim();
    reload();
  });
  search.addEventListener('search', () => {
    if (!search.value && query) {
      query = '';
      reload();
    }
  });

  onLiveEvent = (event) => {
    if (event.type === 'message.received' && event.payload.contactId === contactId && !query) {
      const p = event.payload;
      list.querySelector('.empty')?.remove();
      put({
        id: p.messageId,
        cursor: 0,
        contactId,
        direction: 'in',
        content: p.content,
        status: 'received',
        attempts: 0,
        lastError: null,
        nextAttemptAt: null,
        sentAt: p.sentAt,
        createdAt: p.receivedAt,
        deliveredAt: null,
        stage: 'delivered',
        stageAt: p.receivedAt,
      });
    } else if (
      (event.type === 'message.delivered' || event.type === 'message.failed' || event.type === 'message.receipt') &&
      event.payload.contactId === contactId
    ) {
      if (shown.has(event.payload.messageId))
        client
          .getMessage(event.payload.messageId)
          .then((m) => put(m))
          .catch(() => undefined);
    }
  };

  client
    .getContact(contactId)
    .then((contact) => {
      if (token !== renderToken) return;
      setText(title, contact.agentName || contact.portalUrl);
      importedNote.hidden = contact.status !== 'imported';
      if (contact.status !== 'removed') autonomySlot.replaceChildren(autonomyChoice(reviewDeps(token), contact));
      const showIdentity = (current: Contact): void => {
        identitySlot.replaceChildren(
          contactIdentity(reviewDeps(token), current, (next) => {
            showIdentity(next);
            refreshBanner();
          }),
        );
      };
      if (contact.status === 'active' || contact.status === 'pending') showIdentity(contact);
      const line = requestLine(contact);
      if (line) title.after(line);
    })
    .catch((e: unknown) => {
      if (token !== renderToken) return;
      if (e instanceof PortalApiError && e.status === 404) {
        onLiveEvent = () => undefined;
        shell(
          { name: 'conversation', contactId },
          h('a', { href: '#/contacts', class: 'back' }, `← ${t('back')}`),
          h('h2', { id: 'not-found' }, t('contactNotFound')),
          h('p', { class: 'error' }, t('noSuchContact', { id: contactId })),
        );
        return;
      }
      handleError(e, error);
    });
  shell(
    { name: 'conversation', contactId },
    h('a', { href: '#/contacts', class: 'back' }, `← ${t('back')}`),
    title,
    importedNote,
    identitySlot,
    autonomySlot,
    h('a', { href: `#/files/${contactId}`, class: 'files-link', id: 'contact-files' }, t('filesWithContact')),
    searchForm,
    older,
    list,
    error,
    composer(
      t('writeMessage'),
      (text) =>
        client.sendMessage(contactId, text).then((m) => {
          list.querySelector('.empty')?.remove();
          put(m);
        }),
      error,
    ),
  );
  loadPage();
}

// ---------------------------------------------------------------- review

function reviewDeps(token: number): Parameters<typeof reviewPage>[0] {
  return { client, onError: (e, where) => handleError(e, where), current: () => token === renderToken };
}

/** Held and waiting messages; refreshed when governance holds or wakes (live events). */
function renderReview(): void {
  const page = reviewPage(reviewDeps(renderToken));
  onLiveEvent = (event) => {
    if (event.type === 'message.held' || event.type === 'agent.wake' || event.type === 'message.received') page.reload();
  };
  shell({ name: 'review' }, ...page.content);
}

// ---------------------------------------------------------------- files

/** Files received and sent (all, or only those exchanged with one contact), refreshed on file events. */
function renderFiles(contactId?: number): void {
  const token = renderToken;
  const list = h('ul', { class: 'list', id: 'files' });
  const error = errorLine();
  const title = h('h2', {}, t('files'));
  const names = new Map<number, string>();
  let loading = false;
  let again = false;

  const row = (file: FileTransfer): HTMLElement => {
    // The contact's Portal has no room for it now: the transfer waits (messages go on).
    const parked = file.delivery?.status === 'parked' && (file.status === 'uploading' || file.status === 'sending');
    const remove = h('button', { type: 'button', class: 'danger delete' }, t('delete'));
    remove.addEventListener('click', () => {
      if (!confirm(t('confirmDeleteFile'))) return;
      error.hidden = true;
      client
        .deleteFile(file.id)
        .then(refresh)
        .catch((e: unknown) => handleError(e, error));
    });
    const download = file.contentAvailable
      ? h('a', { href: `/api/files/${encodeURIComponent(file.id)}/content`, download: file.name, class: 'button download' }, t('download'))
      : null;
    const where =
      file.contactId === null
        ? [h('a', { href: '#/chat', class: 'contact' }, t('fileLocal'))]
        : [
            `${file.direction === 'in' ? t('fileFrom') : t('fileTo')} `,
            h('a', { href: `#/contacts/${file.contactId}`, class: 'contact' }, names.get(file.contactId) ?? `#${file.contactId}`),
          ];
    return h(
      'li',
      { class: `row file ${file.direction}`, 'data-id': file.id },
      h(
        'div',
        { class: 'grow' },
        h('span', { class: 'name' }, file.name),
        h(
          'span',
          { class: 'sub' },
          ...where,
          ` · ${formatSize(file.size)} · `,
          h('time', { datetime: file.completedAt ?? file.createdAt }, formatTime(file.completedAt ?? file.createdAt)),
        ),
        file.status === 'failed' && file.error ? h('span', { class: 'sub error' }, file.error) : null,
        parked
          ? h('span', { class: 'sub parked' }, t(file.delivery?.parkedReason === 'peer_quota' ? 'parkedQuota' : 'parkedStorage'))
          : null,
      ),
      parked
        ? h('span', { class: 'status file-parked' }, statusText('parked'))
        : h('span', { class: `status file-${file.status}` }, statusText(file.status)),
      download,
      remove,
    );
  };

  const refresh = (): void => {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    Promise.all([client.listFiles(contactId === undefined ? { limit: 200 } : { contactId, limit: 200 }), client.listContacts()])
      .then(([files, contacts]) => {
        if (token !== renderToken) return;
        for (const contact of contacts) names.set(contact.id, contact.agentName || contact.portalUrl);
        if (contactId !== undefined) setText(title, `${t('files')} · ${names.get(contactId) ?? `#${contactId}`}`);
        clear(list);
        if (!files.length) append(list, h('li', { class: 'empty' }, t('noFiles')));
        for (const file of files) append(list, row(file));
      })
      .catch((e: unknown) => handleError(e, error))
      .finally(() => {
        loading = false;
        if (again && token === renderToken) {
          again = false;
          refresh();
        }
      });
  };

  onLiveEvent = (event) => {
    if (!['file.received', 'file.delivered', 'file.failed', 'file.parked', 'file.resumed'].includes(event.type)) return;
    if (!('contactId' in event.payload)) return;
    if (contactId === undefined || event.payload.contactId === contactId) refresh();
  };
  // With one contact: a file picked here is uploaded, then relayed to the contact by the Portal.
  const status = h('p', { class: 'sub upload-status', id: 'send-file-status', 'aria-live': 'polite', hidden: true });
  const picker =
    contactId === undefined
      ? null
      : filePicker(t('sendFile'), 'send-files', false, ([file]) => {
          picker!.button.disabled = true;
          error.hidden = true;
          status.hidden = false;
          uploadFile(client, file, { contactId, onProgress: (progress) => setText(status, progressText(file.name, progress)) })
            .then(refresh)
            .catch((e: unknown) => handleError(e, error))
            .finally(() => {
              status.hidden = true;
              picker!.button.disabled = false;
            });
        });
  shell(
    { name: 'files', contactId },
    contactId === undefined ? null : h('a', { href: `#/contacts/${contactId}`, class: 'back' }, `← ${t('back')}`),
    title,
    picker ? h('div', { class: 'actions' }, picker.input, picker.button, status) : null,
    error,
    list,
  );
  refresh();
}

// ---------------------------------------------------------------- guestbook

function renderGuestbook(): void {
  const token = renderToken;
  const list = h('ul', { class: 'list', id: 'guestbook' });
  const more = h('button', { type: 'button', class: 'link', hidden: true }, t('loadOlder'));
  const error = errorLine();
  let nextAfter: number | null = null;

  const entry = (item: GuestbookEntry): HTMLElement => {
    const toggle = h('button', { type: 'button' }, item.read ? t('markUnread') : t('markRead'));
    const remove = h('button', { type: 'button', class: 'danger' }, t('delete'));
    const row = h(
      'li',
      { class: `row entry ${item.read ? 'read' : 'unread'}`, 'data-id': String(item.id) },
      h(
        'div',
        { class: 'grow' },
        h('span', { class: 'name' }, item.name),
        item.read ? null : h('span', { class: 'badge warn' }, t('unread')),
        h('p', { class: 'text' }, item.message),
        h('time', { datetime: item.createdAt }, formatTime(item.createdAt)),
      ),
      toggle,
      remove,
    );
    toggle.addEventListener('click', () =>
      client
        .updateGuestbookEntry(item.id, { read: !item.read })
        .then((updated) => row.replaceWith(entry(updated)))
        .catch((e: unknown) => handleError(e, error)),
    );
    remove.addEventListener('click', () =>
      client
        .deleteGuestbookEntry(item.id)
        .then(() => row.remove())
        .catch((e: unknown) => handleError(e, error)),
    );
    return row;
  };
  const load = (after?: number): void => {
    client
      .listGuestbookEntries({ after, limit: PAGE })
      .then((page) => {
        if (token !== renderToken) return;
        for (const item of page.entries) append(list, entry(item));
        if (after === undefined && !page.entries.length) append(list, h('li', { class: 'empty' }, t('emptyGuestbook')));
        nextAfter = page.nextAfter;
        more.hidden = nextAfter === null;
      })
      .catch((e: unknown) => handleError(e, error));
  };
  more.addEventListener('click', () => nextAfter !== null && load(nextAfter));
  onLiveEvent = (event) => {
    if (event.type !== 'guestbook.message' || more.hidden === false) return;
    list.querySelector('.empty')?.remove();
    const p = event.payload;
    append(list, entry({ id: p.entryId, name: p.name, message: p.message, createdAt: p.createdAt, read: false, readAt: null }));
  };
  shell({ name: 'guestbook' }, h('h2', {}, t('guestbook')), error, list, more);
  load();
}

// ---------------------------------------------------------------- settings

function renderSettings(): void {
  const token = renderToken;
  const profileError = errorLine();
  const profileNote = h('p', { class: 'notice', hidden: true }, t('saved'));
  const agentName = h('input', { type: 'text', maxlength: 100, required: true, id: 'agent-name' });
  const ownerName = h('input', { type: 'text', maxlength: 100, id: 'owner-name' });
  const avatarText = h('input', { type: 'text', maxlength: 8, id: 'avatar-text' });
  const bio = h('textarea', { rows: 3, maxlength: 1000, id: 'bio' });
  const homepageLink = h('a', { href: '/', target: '_blank', rel: 'noopener' }, t('homepage'));
  const profileForm = h(
    'form',
    { class: 'card', id: 'profile-form' },
    h('h3', {}, t('profile')),
    h('label', {}, t('agentName'), agentName),
    h('label', {}, t('ownerName'), ownerName),
    h('label', {}, t('avatarText'), avatarText),
    h('label', {}, t('bio'), bio),
    profileError,
    profileNote,
    h('button', { type: 'submit' }, t('save')),
    ' ',
    homepageLink,
  );
  client
    .getMe()
    .then((me) => {
      if (token !== renderToken) return;
      agentName.value = me.agentName;
      ownerName.value = me.ownerName;
      avatarText.value = me.avatarText;
      bio.value = me.bio;
    })
    .catch((e: unknown) => handleError(e, profileError));
  profileForm.addEventListener('submit', (event) => {
    event.preventDefault();
    profileError.hidden = true;
    client
      .updateMe({ agentName: agentName.value, ownerName: ownerName.value, avatarText: avatarText.value, bio: bio.value })
      .then(() => {
        profileNote.hidden = false;
      })
      .catch((e: unknown) => handleError(e, profileError));
  });

  const current = h('input', { type: 'password', autocomplete: 'current-password', required: true, id: 'current-password' });
  const next = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 12, id: 'new-password' });
  const passwordError = errorLine();
  const passwordNote = h('p', { class: 'notice', hidden: true, id: 'password-changed' }, t('passwordChanged'));
  const passwordForm = h(
    'form',
    { class: 'card', id: 'password-form' },
    h('h3', {}, t('changePassword')),
    h('label', {}, t('currentPassword'), current),
    h('label', {}, t('newPassword'), next),
    passwordError,
    passwordNote,
    h('button', { type: 'submit' }, t('changePassword')),
  );
  passwordForm.addEventListener('submit', (event) => {
    event.preventDefault();
    passwordError.hidden = true;
    client
      .changePassword(current.value, next.value)
      .then(() => {
        current.value = '';
        next.value = '';
        passwordNote.hidden = false;
      })
      .catch((e: unknown) => handleError(e, passwordError));
  });

  const keysList = h('ul', { class: 'list', id: 'keys' });
  const keyError = errorLine();
  const created = h('div', { class: 'card secret', hidden: true, id: 'new-key' });
  const keyName = h('input', { type: 'text', maxlength: 100, required: true, id: 'key-name' });
  const keyForm = h(
    'form',
    { class: 'inline', id: 'key-form' },
    h('label', {}, t('keyName'), keyName),
    h('button', { type: 'submit' }, t('createKey')),
  );
  const fillKeys = (keys: OwnerKey[]): void => {
    clear(keysList);
    for (const key of keys) {
      const revoke = h('button', { type: 'button', class: 'danger' }, t('revoke'));
      revoke.addEventListener('click', () =>
        client
          .revokeKey(key.id)
          .then(loadKeys)
          .catch((e: unknown) => handleError(e, keyError)),
      );
      append(
        keysList,
        h(
          'li',
          { class: `row key ${key.revokedAt ? 'revoked' : ''}` },
          h(
            'div',
            { class: 'grow' },
            h('span', { class: 'name' }, key.name),
            h('code', {}, `${key.prefix}…`),
            h('span', { class: 'sub' }, `${t('lastUsed')}: ${key.lastUsedAt ? formatTime(key.lastUsedAt) : t('never')}`),
          ),
          key.revokedAt ? h('span', { class: 'status rejected' }, t('revoked')) : revoke,
        ),
      );
    }
  };
  const loadKeys = (): void => {
    client
      .listKeys()
      .then((keys) => token === renderToken && fillKeys(keys))
      .catch((e: unknown) => handleError(e, keyError));
  };
  keyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    keyError.hidden = true;
    client
      .createKey(keyName.value)
      .then((key) => {
        keyName.value = '';
        clear(created);
        append(created, h('p', {}, t('keyShownOnce')), h('code', { class: 'key-secret' }, key.key));
        created.hidden = false;
        loadKeys();
      })
      .catch((e: unknown) => handleError(e, keyError));
  });
  loadKeys();

  shell(
    { name: 'settings' },
    h('h2', {}, t('settings')),
    profileForm,
    identityCard(reviewDeps(token)),
    passwordForm,
    h('section', { class: 'card' }, h('h3', {}, t('ownerKeys')), created, keysList, keyError, keyForm),
  );
}

// ---------------------------------------------------------------- start

setLang(initialLang(), false);
window.addEventListener('hashchange', render);
client
  .getSession()
  .then(() => startSession())
  .catch((e: unknown) => {
    if (e instanceof PortalApiError && e.status === 401) renderLogin();
    else renderLogin(t('error'));
  });
