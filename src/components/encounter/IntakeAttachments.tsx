import { Image, Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import { useState } from 'react';
import { INTAKE_LIMITS } from '../../../types/encounter';
import type { MediaKind } from '../../../types/media';
import { chat } from '../../chat';
import { newIdClient } from '../../im/ids';
import { CancelledError } from '../../platform/env';
import type { LocalFile } from '../../platform/files';
import { pickers } from '../../platform/pick';

/** One attached record: shown from the device's file at once, sendable once its upload has an id. */
export interface Attachment {
  key: string;
  kind: Extract<MediaKind, 'image' | 'file'>;
  name: string;
  path: string;
  fileId?: string;
}

/**
 * 既往病历/检查报告 for the intake form: photos or documents, uploaded as they are chosen (the chat's
 * upload, not sent as messages), each removable, at most INTAKE_LIMITS.attachments.
 */
export function useAttachments() {
  const [items, setItems] = useState<Attachment[]>([]);
  const change = (key: string, to: (a: Attachment) => Attachment | undefined) =>
    setItems((old) => old.flatMap((a) => (a.key === key ? [to(a)].filter((x): x is Attachment => x !== undefined) : [a])));

  const add = (kind: Attachment['kind'], chosen: LocalFile[]) => {
    const room = INTAKE_LIMITS.attachments - items.length;
    if (chosen.length > room) void Taro.showToast({ title: `最多上传 ${INTAKE_LIMITS.attachments} 份资料`, icon: 'none' });
    const added = chosen.slice(0, Math.max(room, 0)).map((f) => ({ key: newIdClient(), kind, name: f.name, path: f.path, file: f }));
    setItems((old) => [...old, ...added.map(({ file: _file, ...a }) => a)]);
    for (const { key, file } of added) {
      chat()
        .upload(kind, file)
        .then((up) => change(key, (a) => ({ ...a, fileId: up.fileId, name: up.name })))
        .catch((e: unknown) => {
          change(key, () => undefined);
          void Taro.showToast({ title: e instanceof Error ? `${file.name} 上传失败：${e.message}` : `${file.name} 上传失败`, icon: 'none' });
        });
    }
  };

  const pick = (kind: Attachment['kind']) => () =>
    void (kind === 'image' ? pickers.images('album') : pickers.file().then((f) => [f]))
      .then((chosen) => add(kind, chosen))
      .catch((e: unknown) => {
        if (!(e instanceof CancelledError)) void Taro.showToast({ title: e instanceof Error ? e.message : '选择失败', icon: 'none' });
      });

  return {
    items,
    /** The uploads' ids, or undefined while one is still uploading. */
    fileIds: items.every((a) => a.fileId) ? items.map((a) => a.fileId as string) : undefined,
    full: items.length >= INTAKE_LIMITS.attachments,
    pickImages: pick('image'),
    pickFile: pick('file'),
    remove: (key: string) => change(key, () => undefined),
  };
}

export function IntakeAttachments({ a }: { a: ReturnType<typeof useAttachments> }) {
  return (
    <View className='intake-attachments'>
      <View className='intake-attachment-list'>
        {a.items.map((x) => (
          <View key={x.key} className={`intake-attachment ${x.fileId ? 'uploaded' : 'uploading'}`}>
            {x.kind === 'image' ? <Image className='intake-attachment-thumb' src={x.path} mode='aspectFill' /> : <Text className='intake-attachment-thumb intake-attachment-doc'>📄</Text>}
            <Text className='intake-attachment-name'>{x.fileId ? x.name : '上传中…'}</Text>
            <Text className='intake-attachment-remove' onClick={() => a.remove(x.key)}>
              ×
            </Text>
          </View>
        ))}
      </View>
      {!a.full && (
        <View className='form-tags'>
          <Text className='form-tag intake-attach-image' onClick={a.pickImages}>
            上传照片
          </Text>
          {pickers.canPickFile && (
            <Text className='form-tag intake-attach-file' onClick={a.pickFile}>
              上传文件
            </Text>
          )}
        </View>
      )}
      <Text className='form-hint'>{`已上传 ${a.items.length}/${INTAKE_LIMITS.attachments} 份`}</Text>
    </View>
  );
}
