/** Chinese and English. Follows the browser until the owner picks one; the choice is remembered. */
export type Lang = 'en' | 'zh';

const en = {
  appName: 'Agent P2P console',
  login: 'Log in',
  logout: 'Log out',
  password: 'Password',
  wrongPassword: 'Wrong password.',
  tooManyAttempts: 'Too many attempts. Try again later.',
  sessionExpired: 'Your session has ended. Please log in again.',
  chat: 'My agent',
  contacts: 'Contacts',
  guestbook: 'Guestbook',
  settings: 'Settings',
  send: 'Send',
  writeToAgent: 'Write to your agent…',
  writeMessage: 'Write a message…',
  loadOlder: 'Load older messages',
  you: 'You',
  agent: 'Agent',
  noMessages: 'No messages yet.',
  addContact: 'Add a contact',
  portalUrl: "The other Portal's URL",
  note: 'A note for its owner (optional)',
  add: 'Add',
  remove: 'Remove',
  confirmRemove: 'Remove this contact?',
  requests: 'Contact requests',
  noRequests: 'No pending requests.',
  verified: 'verified',
  unverified: 'not verified',
  approve: 'Approve',
  reject: 'Reject',
  noContacts: 'No contacts yet.',
  open: 'Open',
  status_pending: 'pending',
  status_active: 'active',
  status_rejected: 'rejected',
  status_removed: 'removed',
  status_imported: 'imported (v0.9)',
  importedNote:
    'Imported from v0.9: history only. Its v0.9 key is not trusted; reconnect for a new handshake once their Portal runs this version.',
  reconnect: 'Reconnect',
  status_verifying: 'verifying',
  status_queued: 'sending',
  status_delivered: 'delivered',
  status_failed: 'failed',
  status_received: 'received',
  stage_delivered: 'Delivered: stored by their Portal',
  stage_held: 'Held: waiting for their owner',
  stage_seen: 'Seen: their agent was given it',
  stage_answered: 'Answered: their agent replied',
  search: 'Search',
  clearSearch: 'Clear',
  back: 'Back',
  markRead: 'Mark read',
  markUnread: 'Mark unread',
  delete: 'Delete',
  unread: 'unread',
  emptyGuestbook: 'Nobody has signed the guestbook yet.',
  profile: 'Profile',
  agentName: 'Agent name',
  ownerName: 'Owner name',
  avatarText: 'Avatar (a character or emoji)',
  bio: 'Public bio',
  save: 'Save',
  saved: 'Saved.',
  changePassword: 'Change password',
  currentPassword: 'Current password',
  newPassword: 'New password (at least 12 characters)',
  passwordChanged: 'Password changed. Other sessions were logged out.',
  ownerKeys: 'Owner keys',
  keyName: 'Key name',
  createKey: 'Create key',
  keyShownOnce: 'Copy this key now: it will not be shown again.',
  revoke: 'Revoke',
  revoked: 'revoked',
  lastUsed: 'last used',
  never: 'never',
  language: 'Language',
  live: 'live',
  offline: 'reconnecting…',
  error: 'Something went wrong',
  from: 'from',
  homepage: 'Public homepage',
  files: 'Files',
  filesWithContact: 'Files exchanged with this contact',
  noFiles: 'No files yet.',
  fileFrom: 'from',
  fileTo: 'to',
  download: 'Download',
  confirmDeleteFile: 'Delete this file?',
  status_uploading: 'uploading',
  status_sending: 'sending',
  status_receiving: 'receiving',
  status_stored: 'stored',
  attach: 'Attach files',
  removeAttachment: 'Remove',
  fileRemoved: 'no longer stored',
  hashing: 'Checking',
  uploading: 'Uploading',
  tooManyFiles: 'At most 10 files per message.',
  sendFile: 'Send a file',
  fileLocal: 'owner chat',
  contactNotFound: 'Contact not found',
  noSuchContact: 'There is no contact #{id} on this Portal. It may have been removed.',
  tryAgainIn: 'Too many requests. Try again in {wait}.',
  loading: 'Loading…',
};
export type Key = keyof typeof en;

const zh: Record<Key, string> = {
  appName: 'Agent P2P 控制台',
  login: '登录',
  logout: '退出登录',
  password: '密码',
  wrongPassword: '密码错误。',
  tooManyAttempts: '尝试次数过多，请稍后再试。',
  sessionExpired: '会话已结束，请重新登录。',
  chat: '我的智能体',
  contacts: '联系人',
  guestbook: '留言簿',
  settings: '设置',
  send: '发送',
  writeToAgent: '给你的智能体写消息…',
  writeMessage: '输入消息…',
  loadOlder: '加载更早的消息',
  you: '我',
  agent: '智能体',
  noMessages: '还没有消息。',
  addContact: '添加联系人',
  portalUrl: '对方 Portal 的网址',
  note: '给对方主人的附言（可选）',
  add: '添加',
  remove: '删除',
  confirmRemove: '删除这个联系人？',
  requests: '联系人请求',
  noRequests: '没有待处理的请求。',
  verified: '已验证',
  unverified: '未验证',
  approve: '同意',
  reject: '拒绝',
  noContacts: '还没有联系人。',
  open: '打开',
  status_pending: '等待中',
  status_active: '已连接',
  status_rejected: '已拒绝',
  status_removed: '已删除',
  status_imported: '已导入（v0.9）',
  importedNote: '从 v0.9 导入：仅有历史记录。v0.9 的密钥不被信任；对方的 Portal 升级到此版本后，请重新连接以完成新的握手。',
  reconnect: '重新连接',
  status_verifying: '验证中',
  status_queued: '发送中',
  status_delivered: '已送达',
  status_failed: '发送失败',
  status_received: '已接收',
  stage_delivered: '已送达：对方的 Portal 已保存',
  stage_held: '暂缓：等待对方主人处理',
  stage_seen: '已看到：对方的 agent 已收到',
  stage_answered: '已回复：对方的 agent 已回复',
  search: '搜索',
  clearSearch: '清除',
  back: '返回',
  markRead: '标为已读',
  markUnread: '标为未读',
  delete: '删除',
  unread: '未读',
  emptyGuestbook: '还没有人留言。',
  profile: '资料',
  agentName: '智能体名称',
  ownerName: '主人名称',
  avatarText: '头像（一个字或表情）',
  bio: '公开简介',
  save: '保存',
  saved: '已保存。',
  changePassword: '修改密码',
  currentPassword: '当前密码',
  newPassword: '新密码（至少 12 个字符）',
  passwordChanged: '密码已修改，其他会话已退出。',
  ownerKeys: '主人密钥',
  keyName: '密钥名称',
  createKey: '创建密钥',
  keyShownOnce: '请立即复制此密钥：它不会再次显示。',
  revoke: '吊销',
  revoked: '已吊销',
  lastUsed: '最近使用',
  never: '从未',
  language: '语言',
  live: '实时',
  offline: '正在重连…',
  error: '出错了',
  from: '来自',
  homepage: '公开主页',
  files: '文件',
  filesWithContact: '与此联系人往来的文件',
  noFiles: '还没有文件。',
  fileFrom: '来自',
  fileTo: '发给',
  download: '下载',
  confirmDeleteFile: '删除这个文件？',
  status_uploading: '上传中',
  status_sending: '发送中',
  status_receiving: '接收中',
  status_stored: '已保存',
  attach: '添加附件',
  removeAttachment: '移除',
  fileRemoved: '文件已删除',
  hashing: '校验中',
  uploading: '上传中',
  tooManyFiles: '每条消息最多 10 个文件。',
  sendFile: '发送文件',
  fileLocal: '与智能体的对话',
  contactNotFound: '找不到联系人',
  noSuchContact: '这个 Portal 上没有联系人 #{id}，可能已被删除。',
  tryAgainIn: '请求过于频繁，请在 {wait} 后重试。',
  loading: '加载中…',
};

const STORAGE_KEY = 'ap2p.lang';

export function initialLang(): Lang {
  const stored = safeStorage()?.getItem(STORAGE_KEY);
  if (stored === 'en' || stored === 'zh') return stored;
  return (navigator.languages?.[0] ?? navigator.language ?? '').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

let current: Lang = 'en';

export function setLang(lang: Lang, remember: boolean): void {
  current = lang;
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  if (remember) safeStorage()?.setItem(STORAGE_KEY, lang);
}

export function lang(): Lang {
  return current;
}

/** A translated text; `{name}` placeholders are filled from `values`. */
export function t(key: Key, values: Record<string, string | number> = {}): string {
  return (current === 'zh' ? zh : en)[key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

/** A translated status word, or the status itself for one this console does not know. */
export function statusText(status: string): string {
  const key = `status_${status}` as Key;
  return key in en ? t(key) : status;
}

/** Ticks for how far one of our messages got, with its tooltip: ✓ delivered, ✓✓ seen, ↩ answered, ⏸ held. */
export function stageMark(stage: string): { mark: string; title: string } | null {
  const marks: Record<string, string> = { delivered: '✓', held: '⏸', seen: '✓✓', answered: '↩' };
  const key = `stage_${stage}` as Key;
  return stage in marks && key in en ? { mark: marks[stage], title: t(key) } : null;
}

function safeStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}
