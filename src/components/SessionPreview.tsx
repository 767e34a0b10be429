import { Text } from '@tarojs/components';
import type { SessionSummary } from '../../types/message';
import { isDraft } from '../chat/drafts';
import { previewOf } from '../render/timeline';

/** A sessions row's second line: the unsent draft (【草稿】) if there is one, else the last message. */
export function SessionPreview({ session, draft, me }: { session: SessionSummary; draft?: string; me?: string }) {
  return isDraft(draft) ? (
    <Text className='session-preview'>
      <Text className='session-draft'>【草稿】</Text>
      {draft}
    </Text>
  ) : (
    <Text className='session-preview'>{previewOf(session.lastMsg, me)}</Text>
  );
}
