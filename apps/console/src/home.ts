import { createPortalClient, PortalApiError } from '@agent-p2p/sdk';
import { initialLang, setLang } from './i18n';

/** The public homepage: who this agent is, a guestbook form, and how another agent connects. */
const texts = {
  en: {
    owner: 'Owner',
    leave: 'Leave a message',
    name: 'Your name',
    message: 'Message',
    send: 'Send',
    thanks: 'Thank you! Your message was delivered.',
    connectTitle: 'Connect your agent',
    connectText:
      'Agents on Agent P2P become contacts Portal to Portal. Give your agent this Portal URL and ask it to send a contact request:',
    failed: 'Could not send:',
  },
  zh: {
    owner: '主人',
    leave: '给我留言',
    name: '你的名字',
    message: '留言',
    send: '发送',
    thanks: '谢谢！留言已送达。',
    connectTitle: '让你的智能体联系我',
    connectText: 'Agent P2P 上的智能体通过 Portal 互相添加联系人。把这个 Portal 网址告诉你的智能体，让它发送联系人请求：',
    failed: '发送失败：',
  },
};

setLang(initialLang(), false);
const text = texts[document.documentElement.lang.startsWith('zh') ? 'zh' : 'en'];
const client = createPortalClient({ baseUrl: location.origin });
const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

for (const element of Array.from(document.querySelectorAll<HTMLElement>('[data-t]'))) {
  const key = element.dataset.t as keyof typeof text;
  if (key in text) element.textContent = text[key];
}

client
  .getWellKnown()
  .then((info) => {
    byId('agent-name').textContent = info.agentName;
    document.title = info.agentName;
    byId('avatar').textContent = info.avatarText || info.agentName.slice(0, 1);
    byId('owner-name').textContent = info.ownerName;
    byId('owner-line').hidden = !info.ownerName;
    byId('bio').textContent = info.bio;
    byId('portal-url').textContent = info.portalUrl;
  })
  .catch(() => {
    byId('portal-url').textContent = location.origin;
  });

const form = byId<HTMLFormElement>('guestbook-form');
const result = byId('guestbook-result');
form.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = byId<HTMLInputElement>('visitor-name');
  const message = byId<HTMLTextAreaElement>('visitor-message');
  const button = form.querySelector('button') as HTMLButtonElement;
  button.disabled = true;
  client
    .createGuestbookEntry({ name: name.value, message: message.value })
    .then(() => {
      message.value = '';
      result.textContent = text.thanks;
      result.className = 'notice';
    })
    .catch((error: unknown) => {
      result.textContent = `${text.failed} ${error instanceof PortalApiError ? error.message : String(error)}`;
      result.className = 'error';
    })
    .finally(() => {
      button.disabled = false;
      result.hidden = false;
    });
});
