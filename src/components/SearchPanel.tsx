import { Input, ScrollView, Text, View } from '@tarojs/components';
import type { Message } from '../../types/message';
import { hitLine, SEARCH_FILTERS } from '../render/search';
import { sessionTimeLabel } from '../render/time';
import { useSearch } from './useSearch';
import './SearchPanel.css';

type Search = ReturnType<typeof useSearch>;

/** The hits of a search, a line of context each; tapping one opens it. */
export function SearchHits({ search, onPick, title }: { search: Search; onPick: (msg: Message) => void; title?: (msg: Message) => string }) {
  const now = Date.now();
  const { hits, query, answered, busy, error, canLoadMore, loadMore } = search;
  if (!query) return null;
  return (
    <View className='search-hits'>
      {hits.map((m) => (
        <View key={`${m.sessionId}/${m.idClient}`} className='search-hit' onClick={() => onPick(m)}>
          <View className='search-hit-head'>
            <Text>{title ? title(m) : (m.fromNick ?? m.from)}</Text>
            <Text>{sessionTimeLabel(m.time, now)}</Text>
          </View>
          <Text className='search-hit-line'>{hitLine(m, query.text)}</Text>
        </View>
      ))}
      {error && <Text className='search-note'>{error}</Text>}
      {busy && <Text className='search-note'>正在搜索…</Text>}
      {!busy && !error && answered && hits.length === 0 && <Text className='search-note'>没有找到相关的聊天记录</Text>}
      {!busy && !answered && !error && <Text className='search-note'>按回车搜索全部聊天记录</Text>}
      {!busy && canLoadMore && (
        <Text className='search-more' onClick={loadMore}>
          加载更多
        </Text>
      )}
    </View>
  );
}

/** The search box with its type filters (全部/图片/文件/卡片). */
export function SearchBar({ search, placeholder, onClose }: { search: Search; placeholder: string; onClose?: () => void }) {
  return (
    <View>
      <View className='search-bar'>
        <Input
          className='search-input'
          value={search.text}
          placeholder={placeholder}
          confirmType='search'
          focus
          onInput={(e) => search.setText(e.detail.value)}
          onConfirm={search.search}
        />
        {onClose && (
          <Text className='search-close' onClick={onClose}>
            取消
          </Text>
        )}
      </View>
      <View className='search-filters'>
        {SEARCH_FILTERS.map((f) => (
          <Text
            key={f.label}
            className={`search-filter${f.types.join() === search.types.join() ? ' active' : ''}`}
            onClick={() => search.pickTypes(f.types)}
          >
            {f.label}
          </Text>
        ))}
      </View>
    </View>
  );
}

/** Searching one consultation, over the chat. */
export function SearchPanel({ sessionId, held, onPick, onClose }: { sessionId: string; held: () => readonly Message[]; onPick: (msg: Message) => void; onClose: () => void }) {
  const search = useSearch(sessionId, held);
  return (
    <View className='search-panel'>
      <SearchBar search={search} placeholder='搜索聊天记录' onClose={onClose} />
      <ScrollView className='search-results' scrollY>
        <SearchHits search={search} onPick={onPick} />
      </ScrollView>
    </View>
  );
}
