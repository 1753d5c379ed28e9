/**
 * What people are told, in Hindi and English (Hindi first): one subject and body per language for
 * each kind of notification, and the mail made of both. Pure: no database, no clock.
 */

export const NOTIFICATION_KINDS = [
  'PUBLICATION_FAILED',
  'ACCOUNT_NEEDS_REAUTH',
  'APPROVAL_SLA_NEAR',
  'APPROVAL_SLA_PASSED',
  'ACHIEVEMENT_REMINDER',
  'ACHIEVEMENT_MISSING',
  'BLACKOUT_STARTED',
  'BLACKOUT_ENDED',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface Message {
  subjectHi: string;
  subjectEn: string;
  bodyHi: string;
  bodyEn: string;
}

const fmt = (locale: string) =>
  new Intl.DateTimeFormat(locale, {
    timeZone: 'Asia/Kolkata',
    dateStyle: 'medium',
    timeStyle: 'short',
  });
const HI = fmt('hi-IN');
const EN = fmt('en-IN');
const at = (d: Date) => ({ hi: `${HI.format(d)} IST`, en: `${EN.format(d)} IST` });

const PLATFORM_HI: Record<string, string> = {
  X: 'X',
  FACEBOOK: 'फ़ेसबुक',
  INSTAGRAM: 'इंस्टाग्राम',
  WHATSAPP: 'व्हाट्सऐप',
};
const ROLE_HI: Record<string, string> = {
  DEPT_APPROVER: 'विभागीय अनुमोदक',
  MINISTER_OFFICE: 'मंत्री कार्यालय',
  IT_CELL_ADMIN: 'आईटी सेल',
};
const platformHi = (p: string) => PLATFORM_HI[p] ?? p;

export function publicationFailed(p: {
  platform: string;
  contentId: string;
  publicationId: string;
  reason: string;
}): Message {
  return {
    subjectHi: `प्रकाशन विफल: ${platformHi(p.platform)}`,
    subjectEn: `Publication failed: ${p.platform}`,
    bodyHi: `सामग्री ${p.contentId} का ${platformHi(p.platform)} पर प्रकाशन (${p.publicationId}) विफल हो गया। कारण: ${p.reason || 'अज्ञात'}।`,
    bodyEn: `Publishing content ${p.contentId} to ${p.platform} (publication ${p.publicationId}) failed. Reason: ${p.reason || 'unknown'}.`,
  };
}

export function accountNeedsReauth(p: { platform: string; handle: string; reason: string }): Message {
  return {
    subjectHi: `खाते में फिर से लॉग-इन आवश्यक: ${platformHi(p.platform)} ${p.handle}`,
    subjectEn: `Account needs signing in again: ${p.platform} ${p.handle}`,
    bodyHi: `${platformHi(p.platform)} खाता ${p.handle} अब प्रकाशित नहीं कर सकता (${p.reason || 'टोकन अमान्य'})। इसे फिर से जोड़ें; तब तक इसकी पोस्ट रोकी गई हैं।`,
    bodyEn: `The ${p.platform} account ${p.handle} can no longer publish (${p.reason || 'token invalid'}). Reconnect it; its posts are held until then.`,
  };
}

export function approvalSla(
  p: { contentId: string; role: string; dueAt: Date; stageIndex: number },
  passed: boolean,
): Message {
  const due = at(p.dueAt);
  const roleHi = ROLE_HI[p.role] ?? p.role;
  return passed
    ? {
        subjectHi: `अनुमोदन की समय-सीमा बीत गई: सामग्री ${p.contentId}`,
        subjectEn: `Approval past its deadline: content ${p.contentId}`,
        bodyHi: `सामग्री ${p.contentId} का चरण ${p.stageIndex + 1} (${roleHi}) ${due.hi} तक तय होना था और अब भी लंबित है।`,
        bodyEn: `Stage ${p.stageIndex + 1} (${p.role}) of content ${p.contentId} was due by ${due.en} and is still pending.`,
      }
    : {
        subjectHi: `अनुमोदन की समय-सीमा निकट: सामग्री ${p.contentId}`,
        subjectEn: `Approval nearing its deadline: content ${p.contentId}`,
        bodyHi: `सामग्री ${p.contentId} का चरण ${p.stageIndex + 1} (${roleHi}) ${due.hi} तक तय होना है।`,
        bodyEn: `Stage ${p.stageIndex + 1} (${p.role}) of content ${p.contentId} is due by ${due.en}.`,
      };
}

export function achievementMissing(p: { day: string; departmentId: string }, toItCell: boolean): Message {
  return toItCell
    ? {
        subjectHi: `आज कोई उपलब्धि प्रकाशित नहीं: विभाग ${p.departmentId}`,
        subjectEn: `No achievement published today: department ${p.departmentId}`,
        bodyHi: `विभाग ${p.departmentId} ने ${p.day} को 18:00 IST तक कोई उपलब्धि प्रकाशित नहीं की।`,
        bodyEn: `Department ${p.departmentId} has published no achievement on ${p.day} by 18:00 IST.`,
      }
    : {
        subjectHi: `स्मरण: आज की उपलब्धि अभी प्रकाशित नहीं हुई`,
        subjectEn: `Reminder: today's achievement is not published yet`,
        bodyHi: `${p.day} को 17:00 IST तक आपके विभाग की कोई उपलब्धि प्रकाशित नहीं हुई। 18:00 तक प्रकाशित न होने पर आईटी सेल को सूचित किया जाएगा।`,
        bodyEn: `Your department has published no achievement on ${p.day} by 17:00 IST. The IT cell is told at 18:00 if none is published by then.`,
      };
}

export function blackout(
  p: { regions: string[]; reason: string; startsAt: Date; endsAt: Date },
  started: boolean,
): Message {
  const regions = p.regions.length ? p.regions.join(', ') : 'state';
  const regionsHi = p.regions.length ? p.regions.join(', ') : 'पूरा राज्य';
  const [from, to] = [at(p.startsAt), at(p.endsAt)];
  return started
    ? {
        subjectHi: `आचार संहिता अवधि आरंभ: ${regionsHi}`,
        subjectEn: `Blackout started: ${regions}`,
        bodyHi: `${regionsHi} के लिए आदर्श आचार संहिता अवधि ${from.hi} से ${to.hi} तक लागू है (${p.reason})। इस दौरान संबंधित पोस्ट रोकी जाएंगी।`,
        bodyEn: `A Model Code of Conduct blackout for ${regions} holds from ${from.en} to ${to.en} (${p.reason}). Affected posts are held meanwhile.`,
      }
    : {
        subjectHi: `आचार संहिता अवधि समाप्त: ${regionsHi}`,
        subjectEn: `Blackout ended: ${regions}`,
        bodyHi: `${regionsHi} के लिए आदर्श आचार संहिता अवधि समाप्त हो गई (${p.reason})। रोकी गई पोस्ट फिर से निर्धारित की जाएंगी।`,
        bodyEn: `The Model Code of Conduct blackout for ${regions} has ended (${p.reason}). Held posts are scheduled again.`,
      };
}

/** One mail carrying both languages, Hindi first. */
export function mailOf(m: Message): { subject: string; body: string } {
  return {
    subject: `${m.subjectHi} / ${m.subjectEn}`,
    body: `${m.subjectHi}\n\n${m.bodyHi}\n\n———\n\n${m.subjectEn}\n\n${m.bodyEn}\n\n— Prasar (प्रसार)\n`,
  };
}
