import { Button, Text, Textarea, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useState } from 'react';
import { RATING_LIMITS, RATING_TAGS, type RatingTag } from '../../../types/encounter';
import { chat } from '../../chat';
import { backToChat, sessionParam, toastError, useEncounter } from '../../components/encounter/useEncounter';
import { PageHeader } from '../../components/PageHeader';
import { useChatSession } from '../../components/useChatSession';
import { usePageStyle } from '../../components/usePageStyle';
import '../../components/encounter/encounter.css';

const STARS = [1, 2, 3, 4, 5];

/** The patient rates a closed consultation once: 1–5 stars, tags, an optional comment. */
export default function RatePage() {
  useChatSession();
  const look = usePageStyle();
  const sessionId = sessionParam(useRouter().params);
  const { view, reload } = useEncounter(sessionId);
  const [stars, setStars] = useState(0);
  const [tags, setTags] = useState<RatingTag[]>([]);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const rated = view?.rating;
  const shown = rated ? rated.stars : stars;
  const shownTags: readonly RatingTag[] = rated ? rated.tags : tags;

  const submit = () => {
    setBusy(true);
    chat()
      .encounter('rate', { sessionId, rating: { stars, tags, ...(comment.trim() ? { comment: comment.trim() } : {}) } })
      .then(() => {
        reload();
        void Taro.showToast({ title: '感谢您的评价', icon: 'success' });
      })
      .catch(toastError)
      .finally(() => setBusy(false));
  };

  return (
    <View className={`form rate ${look.className}`} style={look.style}>
      <PageHeader back='返回问诊' onBack={() => backToChat(sessionId)} />
      <Text className='form-title'>{rated ? '您的评价' : '请为本次问诊评分'}</Text>
      {view?.doctor && <Text className='form-hint'>{`${view.doctor.name} ${view.doctor.title} · ${view.doctor.department}`}</Text>}
      <View className='form-section'>
        <View className='stars'>
          {STARS.map((n) => (
            <Text key={n} className={`star star-${n} ${n <= shown ? 'on' : ''}`} onClick={() => !rated && setStars(n)}>
              ★
            </Text>
          ))}
        </View>
      </View>
      <View className='form-section'>
        <View className='form-tags'>
          {RATING_TAGS.map((tag) => (
            <Text
              key={tag}
              className={`form-tag rate-tag ${shownTags.includes(tag) ? 'on' : ''}`}
              onClick={() => !rated && setTags(tags.includes(tag) ? tags.filter((t) => t !== tag) : [...tags, tag])}
            >
              {tag}
            </Text>
          ))}
        </View>
      </View>
      {rated ? (
        rated.comment && <Text className='form-hint rate-comment'>{rated.comment}</Text>
      ) : (
        <View>
          <View className='form-section'>
            <Textarea
              className='form-textarea rate-comment-input'
              value={comment}
              maxlength={RATING_LIMITS.comment}
              placeholder='说说您的感受（选填）'
              onInput={(e) => setComment(e.detail.value)}
            />
          </View>
          <Button className='form-button rate-submit' disabled={busy || !stars} onClick={submit}>
            提交评价
          </Button>
        </View>
      )}
    </View>
  );
}
